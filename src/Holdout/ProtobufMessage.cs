using Google.Protobuf;

namespace Holdout;

/// <summary>
/// One protobuf message written by hand from its schema's field numbers with <see cref="CodedOutputStream"/>, so the
/// ONNX exporter and the TensorBoard writer need no generated code. Fields are appended in call order; nested
/// messages are written as length-delimited fields. Repeated scalars are written one tag per value (proto2's
/// unpacked encoding, which every parser accepts).
/// </summary>
internal sealed class ProtobufMessage
{
    private readonly MemoryStream _buffer = new();
    private readonly CodedOutputStream _output;

    public ProtobufMessage() => _output = new CodedOutputStream(_buffer, leaveOpen: true);

    /// <summary>A string field (UTF-8).</summary>
    public ProtobufMessage String(int field, string value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteString(value);
        return this;
    }

    /// <summary>A bytes field.</summary>
    public ProtobufMessage Bytes(int field, ReadOnlyMemory<byte> value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteBytes(UnsafeByteOperations.UnsafeWrap(value));
        return this;
    }

    /// <summary>A nested message field.</summary>
    public ProtobufMessage Message(int field, ProtobufMessage message) => Bytes(field, message.ToMemory());

    /// <summary>An int64 (or enum, int32 with non-negative values) field, varint-encoded.</summary>
    public ProtobufMessage Int64(int field, long value)
    {
        _output.WriteTag(field, WireFormat.WireType.Varint);
        _output.WriteInt64(value);
        return this;
    }

    /// <summary>Repeated int64 values, one tag each.</summary>
    public ProtobufMessage Int64s(int field, IEnumerable<long> values)
    {
        foreach (var value in values) Int64(field, value);
        return this;
    }

    /// <summary>A float field (fixed 32 bits).</summary>
    public ProtobufMessage Float(int field, float value)
    {
        _output.WriteTag(field, WireFormat.WireType.Fixed32);
        _output.WriteFloat(value);
        return this;
    }

    /// <summary>A double field (fixed 64 bits).</summary>
    public ProtobufMessage Double(int field, double value)
    {
        _output.WriteTag(field, WireFormat.WireType.Fixed64);
        _output.WriteDouble(value);
        return this;
    }

    /// <summary>The encoded message so far (valid until the next write).</summary>
    public ReadOnlyMemory<byte> ToMemory()
    {
        _output.Flush();
        return _buffer.GetBuffer().AsMemory(0, (int)_buffer.Length);
    }

    /// <summary>A copy of the encoded message.</summary>
    public byte[] ToArray() => ToMemory().ToArray();
}
