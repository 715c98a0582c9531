using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

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
/// names. Parsed directly from the protobuf wire format (field numbers from onnx.proto), so no generated code is
/// needed; nested messages are read as slices of the file's bytes, and each weight is copied once, into its array
/// (fresh memory is slow to touch, so a copy per nesting level would cost more than the parse itself). Unknown fields
/// are skipped.
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
    public static OnnxModel Read(string path) => Read(path, out _);

    /// <summary>Reads an ONNX file and returns its bytes too (for hashing without a second read).</summary>
    /// <exception cref="HoldoutException">The file is missing or is not a readable ONNX model.</exception>
    public static OnnxModel Read(string path, out byte[] fileBytes)
    {
        if (!File.Exists(path))
        {
            throw new HoldoutException($"The ONNX model '{path}' does not exist. Expected the pretrained file beside the application; rebuild or reinstall Holdout.");
        }
        fileBytes = File.ReadAllBytes(path);
        try
        {
            var input = new WireReader(fileBytes);
            OnnxModel? model = null;
            while (input.Next(out var field, out var wire))
            {
                if (field == 7 && wire == WireReader.LengthDelimited) model = ReadGraph(input.Bytes());
                else input.Skip(wire);
            }
            return model ?? throw new HoldoutException($"The file '{path}' has no ONNX graph. Expected an ONNX model (ModelProto with a graph).");
        }
        catch (FormatException e)
        {
            throw new HoldoutException($"The file '{path}' is not a readable ONNX model ({e.Message}). Expected an ONNX protobuf file; the file may be damaged.", e);
        }
    }

    private static OnnxModel ReadGraph(ReadOnlySpan<byte> bytes)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var input = new WireReader(bytes);
        while (input.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1: nodes.Add(ReadNode(input.Bytes())); break;
                case 5:
                    var tensor = ReadTensor(input.Bytes());
                    if (tensor is not null) initializers[tensor.Name] = tensor;
                    break;
                case 11: inputs.Add(ReadValueInfoName(input.Bytes())); break;
                case 12: outputs.Add(ReadValueInfoName(input.Bytes())); break;
                default: input.Skip(wire); break;
            }
        }
        return new OnnxModel { Nodes = nodes, Initializers = initializers, Inputs = inputs, Outputs = outputs };
    }

    private static string ReadValueInfoName(ReadOnlySpan<byte> bytes)
    {
        var input = new WireReader(bytes);
        var name = "";
        while (input.Next(out var field, out var wire))
        {
            if (field == 1) name = input.String();
            else input.Skip(wire);
        }
        return name;
    }

    private static OnnxNode ReadNode(ReadOnlySpan<byte> bytes)
    {
        var input = new WireReader(bytes);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>();
        string name = "", opType = "";
        while (input.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1: inputs.Add(input.String()); break;
                case 2: outputs.Add(input.String()); break;
                case 3: name = input.String(); break;
                case 4: opType = input.String(); break;
                case 5:
                    var attribute = ReadAttribute(input.Bytes());
                    attributes[attribute.Name] = attribute;
                    break;
                default: input.Skip(wire); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ReadOnlySpan<byte> bytes)
    {
        var input = new WireReader(bytes);
        string name = "";
        float? f = null;
        long? i = null;
        byte[]? s = null;
        var ints = new List<long>();
        var floats = new List<float>();
        while (input.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1: name = input.String(); break;
                case 2: f = input.Float(); break;
                case 3: i = (long)input.Varint(); break;
                case 4: s = input.Bytes().ToArray(); break;
                case 7: ReadFloats(ref input, wire, floats); break;
                case 8: ReadInt64s(ref input, wire, ints); break;
                default: input.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, f, i, s, ints.ToArray(), floats.ToArray());
    }

    /// <summary>Reads a TensorProto; returns null for non-float tensors (the importer needs only floats).</summary>
    private static OnnxTensor? ReadTensor(ReadOnlySpan<byte> bytes)
    {
        var input = new WireReader(bytes);
        var dims = new List<long>();
        List<float>? unpacked = null;
        ReadOnlySpan<byte> packed = default, raw = default;
        int dataType = 0;
        string name = "";
        while (input.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1: ReadInt64s(ref input, wire, dims); break;
                case 2: dataType = (int)input.Varint(); break;
                case 4 when wire == WireReader.LengthDelimited: packed = input.Bytes(); break;
                case 4: (unpacked ??= []).Add(input.Float()); break;
                case 8: name = input.String(); break;
                case 9: raw = input.Bytes(); break;
                default: input.Skip(wire); break;
            }
        }
        if (dataType != FloatType) return null;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX stores floats little-endian.");
        var source = raw.Length > 0 ? raw : packed;
        if (source.Length % 4 != 0) throw new FormatException($"tensor '{name}' data is not a whole number of floats");
        var data = source.Length > 0 ? MemoryMarshal.Cast<byte, float>(source).ToArray() : unpacked?.ToArray() ?? [];
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new FormatException($"tensor '{name}' declares {count} values but holds {data.Length}");
        return new OnnxTensor(name, dims.ToArray(), data);
    }

    private static void ReadFloats(ref WireReader input, int wire, List<float> into)
    {
        if (wire == WireReader.LengthDelimited)
        {
            var packed = input.Bytes();
            if (packed.Length % 4 != 0) throw new FormatException("packed floats are not a whole number of floats");
            into.AddRange(MemoryMarshal.Cast<byte, float>(packed));
        }
        else
        {
            into.Add(input.Float());
        }
    }

    private static void ReadInt64s(ref WireReader input, int wire, List<long> into)
    {
        if (wire == WireReader.LengthDelimited)
        {
            var packed = new WireReader(input.Bytes());
            while (!packed.AtEnd) into.Add((long)packed.Varint());
        }
        else
        {
            into.Add((long)input.Varint());
        }
    }

    /// <summary>
    /// The protobuf wire format over a span: tags, varints, fixed 32/64-bit values and length-delimited slices (no
    /// copies). Malformed input throws <see cref="FormatException"/>.
    /// </summary>
    private ref struct WireReader(ReadOnlySpan<byte> data)
    {
        public const int Varint64 = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position >= _data.Length;

        /// <summary>Reads the next tag; false at the end.</summary>
        public bool Next(out int field, out int wire)
        {
            if (AtEnd)
            {
                (field, wire) = (0, 0);
                return false;
            }
            var tag = Varint();
            (field, wire) = ((int)(tag >> 3), (int)(tag & 7));
            if (field == 0) throw new FormatException($"invalid field number 0 at byte {_position}");
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (AtEnd) throw new FormatException("truncated varint");
                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new FormatException("malformed varint");
        }

        public float Float() => BitConverter.Int32BitsToSingle((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Varint();
            if (length > (ulong)(_data.Length - _position)) throw new FormatException($"a field of {length} bytes runs past the end of its message");
            return Take((int)length);
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public void Skip(int wire)
        {
            switch (wire)
            {
                case Varint64: Varint(); break;
                case Fixed64: Take(8); break;
                case LengthDelimited: Bytes(); break;
                case Fixed32: Take(4); break;
                default: throw new FormatException($"unsupported wire type {wire} at byte {_position}");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _data.Length - _position) throw new FormatException("truncated field");
            var slice = _data.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}
