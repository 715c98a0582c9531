using System.Runtime.InteropServices;

namespace Holdout.Models.Onnx;

/// <summary>
/// An ONNX graph under construction, encoded as it grows with the field numbers of onnx.proto (GraphProto, NodeProto,
/// AttributeProto, TensorProto, ValueInfoProto): nodes in topological order, constant initialisers, and the graph's
/// typed inputs and outputs. Every node has one output, named after the node.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>TensorProto.DataType values.</summary>
    public const int FloatType = 1, UInt8Type = 2, Int64Type = 7;

    // AttributeProto.AttributeType values.
    private const int IntAttribute = 2, IntsAttribute = 7;

    private readonly List<ProtobufMessage> _nodes = [];
    private readonly List<ProtobufMessage> _initializers = [];
    private readonly List<ProtobufMessage> _inputs = [];
    private readonly List<ProtobufMessage> _outputs = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Adds a float32 constant; returns its name.</summary>
    public string Constant(string name, float[] values, params long[] dims) =>
        AddInitializer(name, FloatType, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), values.Length, dims);

    /// <summary>Adds an int64 constant; returns its name.</summary>
    public string Constant(string name, long[] values, params long[] dims) =>
        AddInitializer(name, Int64Type, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), values.Length, dims);

    /// <summary>Adds a node whose single output is named <paramref name="name"/>; returns that name.</summary>
    public string Node(string opType, string name, IReadOnlyList<string> inputs, params ProtobufMessage[] attributes)
    {
        Claim(name);
        var node = new ProtobufMessage();
        foreach (var input in inputs) node.String(1, input);
        node.String(2, name).String(3, name).String(4, opType);
        foreach (var attribute in attributes) node.Message(5, attribute);
        _nodes.Add(node);
        return name;
    }

    /// <summary>An INT attribute.</summary>
    public static ProtobufMessage Int(string name, long value) =>
        new ProtobufMessage().String(1, name).Int64(3, value).Int64(20, IntAttribute);

    /// <summary>An INTS attribute.</summary>
    public static ProtobufMessage Ints(string name, params long[] values) =>
        new ProtobufMessage().String(1, name).Int64s(8, values).Int64(20, IntsAttribute);

    /// <summary>Declares a graph input of the given element type; a null dimension is the symbolic batch size.</summary>
    public string Input(string name, int elementType, string description, params long?[] dims)
    {
        Claim(name);
        _inputs.Add(ValueInfo(name, elementType, description, dims));
        return name;
    }

    /// <summary>Declares an existing value (a node's output) as a graph output.</summary>
    public void Output(string name, int elementType, string description, params long?[] dims) =>
        _outputs.Add(ValueInfo(name, elementType, description, dims));

    /// <summary>The GraphProto.</summary>
    public ProtobufMessage ToMessage(string name, string description)
    {
        var graph = new ProtobufMessage();
        foreach (var node in _nodes) graph.Message(1, node);
        graph.String(2, name);
        foreach (var initializer in _initializers) graph.Message(5, initializer);
        graph.String(10, description);
        foreach (var input in _inputs) graph.Message(11, input);
        foreach (var output in _outputs) graph.Message(12, output);
        return graph;
    }

    private string AddInitializer(string name, int dataType, byte[] raw, int count, long[] dims)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        if (dims.Aggregate(1L, (a, b) => a * b) != count)
            throw new InvalidOperationException($"The constant '{name}' has {count} values but its shape [{string.Join(", ", dims)}] needs another count.");
        Claim(name);
        _initializers.Add(new ProtobufMessage().Int64s(1, dims).Int64(2, dataType).String(8, name).Bytes(9, raw));
        return name;
    }

    private static ProtobufMessage ValueInfo(string name, int elementType, string description, long?[] dims)
    {
        var shape = new ProtobufMessage();
        foreach (var dim in dims)
            shape.Message(1, dim is { } size ? new ProtobufMessage().Int64(1, size) : new ProtobufMessage().String(2, "batch"));
        var tensorType = new ProtobufMessage().Int64(1, elementType).Message(2, shape);
        return new ProtobufMessage().String(1, name).Message(2, new ProtobufMessage().Message(1, tensorType)).String(3, description);
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"The ONNX value name '{name}' is used twice; this is a bug in Holdout's exporter.");
    }
}
