using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Holdout.Models.Onnx;

/// <summary>One attribute of an ONNX node (only the kinds the importer needs).</summary>
internal sealed record OnnxAttribute(string Name, float? Float, long? Int, byte[]? String, long[] Ints, float[] Floats);

/// <summary>One ONNX node: operator, input and output tensor names, attributes.</summary>
internal sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    public long[] Ints(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : [];

    public float? Float(string name) => Attributes.TryGetValue(name, out var a) ? a.Float : null;
}

/// <summary>A float initialiser (weight tensor) of an ONNX graph.</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, float[] Data);

/// <summary>
/// The parts of an ONNX model the importer reads: the graph's nodes, its float initialisers, input and output
/// names. Parsed directly from the protobuf wire format with <see cref="CodedInputStream"/> (field numbers from
/// onnx.proto), so no generated code is needed. Unknown fields are skipped.
/// </summary>
internal sealed class OnnxModel
{
    private const int FloatType = 1;

    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyDictionary<string, OnnxTensor> Initializers { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>Reads an ONNX file.</summary>
    /// <exception cref="HoldoutException">The file is missing or is not a readable ONNX model.</exception>
    public static OnnxModel Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new HoldoutException($"The ONNX model '{path}' does not exist. Expected the pretrained file beside the application; rebuild or reinstall Holdout.");
        }
        try
        {
            var bytes = File.ReadAllBytes(path);
            var input = new CodedInputStream(bytes);
            OnnxModel? model = null;
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 7 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                    model = ReadGraph(input.ReadBytes());
                else
                    input.SkipLastField();
            }
            return model ?? throw new HoldoutException($"The file '{path}' has no ONNX graph. Expected an ONNX model (ModelProto with a graph).");
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            throw new HoldoutException($"The file '{path}' is not a readable ONNX model ({e.Message}). Expected an ONNX protobuf file; the file may be damaged.", e);
        }
    }

    private static OnnxModel ReadGraph(ByteString bytes)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: nodes.Add(ReadNode(input.ReadBytes())); break;
                case 5:
                    var tensor = ReadTensor(input.ReadBytes());
                    if (tensor is not null) initializers[tensor.Name] = tensor;
                    break;
                case 11: inputs.Add(ReadValueInfoName(input.ReadBytes())); break;
                case 12: outputs.Add(ReadValueInfoName(input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxModel { Nodes = nodes, Initializers = initializers, Inputs = inputs, Outputs = outputs };
    }

    private static string ReadValueInfoName(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        var name = "";
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) name = input.ReadString();
            else input.SkipLastField();
        }
        return name;
    }

    private static OnnxNode ReadNode(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>();
        string name = "", opType = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: inputs.Add(input.ReadString()); break;
                case 2: outputs.Add(input.ReadString()); break;
                case 3: name = input.ReadString(); break;
                case 4: opType = input.ReadString(); break;
                case 5:
                    var attribute = ReadAttribute(input.ReadBytes());
                    attributes[attribute.Name] = attribute;
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string name = "";
        float? f = null;
        long? i = null;
        byte[]? s = null;
        var ints = new List<long>();
        var floats = new List<float>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 2: f = input.ReadFloat(); break;
                case 3: i = input.ReadInt64(); break;
                case 4: s = input.ReadBytes().ToByteArray(); break;
                case 7: ReadFloats(input, tag, floats); break;
                case 8: ReadInt64s(input, tag, ints); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxAttribute(name, f, i, s, ints.ToArray(), floats.ToArray());
    }

    /// <summary>Reads a TensorProto; returns null for non-float tensors (the importer needs only floats).</summary>
    private static OnnxTensor? ReadTensor(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var dims = new List<long>();
        var floatData = new List<float>();
        ByteString? raw = null;
        int dataType = 0;
        string name = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadInt64s(input, tag, dims); break;
                case 2: dataType = input.ReadInt32(); break;
                case 4: ReadFloats(input, tag, floatData); break;
                case 8: name = input.ReadString(); break;
                case 9: raw = input.ReadBytes(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (dataType != FloatType) return null;
        float[] data;
        if (raw is not null && raw.Length > 0)
        {
            if (raw.Length % 4 != 0) throw new FormatException($"tensor '{name}' raw data is not a whole number of floats");
            data = MemoryMarshal.Cast<byte, float>(raw.Span).ToArray();
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is little-endian.");
        }
        else
        {
            data = floatData.ToArray();
        }
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new FormatException($"tensor '{name}' declares {count} values but holds {data.Length}");
        return new OnnxTensor(name, dims.ToArray(), data);
    }

    private static void ReadFloats(CodedInputStream input, uint tag, List<float> into)
    {
        if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
        {
            var packed = input.ReadBytes();
            if (packed.Length % 4 != 0) throw new FormatException("packed floats are not a whole number of floats");
            into.AddRange(MemoryMarshal.Cast<byte, float>(packed.Span).ToArray());
        }
        else
        {
            into.Add(input.ReadFloat());
        }
    }

    private static void ReadInt64s(CodedInputStream input, uint tag, List<long> into)
    {
        if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
        {
            var packed = input.ReadBytes().CreateCodedInput();
            while (!packed.IsAtEnd) into.Add(packed.ReadInt64());
        }
        else
        {
            into.Add(input.ReadInt64());
        }
    }
}
