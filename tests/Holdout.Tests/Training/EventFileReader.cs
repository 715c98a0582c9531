using System.Buffers.Binary;
using System.Text;

namespace Holdout.Tests.Training;

/// <summary>
/// An independent reader of TensorBoard event files for the tests (it shares no code with Holdout's writer): TFRecord
/// frames checked with a bit-by-bit CRC-32C, and the Event / Summary protobufs decoded from the raw wire format with
/// the field numbers of tensorflow/core/util/event.proto and framework/summary.proto.
/// </summary>
internal static class EventFileReader
{
    public sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<Value> Values);

    public sealed record Value(string Tag, float? SimpleValue, string? PluginName, long? DataClass, long? TensorType, string? Text, Image? Image);

    public sealed record Image(long Height, long Width, long Colorspace, byte[] Encoded);

    /// <summary>Every event in the file, in order; throws when a length or data checksum is wrong or a record is cut.</summary>
    public static List<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 12) throw new InvalidDataException($"record header cut at byte {at}");
            var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at, 8)));
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)) != Masked(bytes.AsSpan(at, 8)))
                throw new InvalidDataException($"length checksum wrong at byte {at}");
            if (bytes.Length - at < 16 + length) throw new InvalidDataException($"record data cut at byte {at}");
            var data = bytes.AsSpan(at + 12, length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length, 4)) != Masked(data))
                throw new InvalidDataException($"data checksum wrong at byte {at}");
            events.Add(ParseEvent(data.ToArray()));
            at += 16 + length;
        }
        return events;
    }

    /// <summary>CRC-32C computed bit by bit (reflected Castagnoli polynomial), without a table.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        }
        return ~crc;
    }

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }

    private static Event ParseEvent(byte[] message)
    {
        double wallTime = double.NaN;
        long step = 0;
        string? version = null;
        var values = new List<Value>();
        foreach (var f in Fields(message))
        {
            switch (f.Number)
            {
                case 1: wallTime = BitConverter.Int64BitsToDouble((long)f.Scalar); break;
                case 2: step = (long)f.Scalar; break;
                case 3: version = Encoding.UTF8.GetString(f.Bytes!); break;
                case 5: values.AddRange(Fields(f.Bytes!).Where(v => v.Number == 1).Select(v => ParseValue(v.Bytes!))); break;
            }
        }
        return new Event(wallTime, step, version, values);
    }

    private static Value ParseValue(byte[] message)
    {
        string tag = "";
        float? simple = null;
        string? plugin = null, text = null;
        long? dataClass = null, tensorType = null;
        Image? image = null;
        foreach (var f in Fields(message))
        {
            switch (f.Number)
            {
                case 1: tag = Encoding.UTF8.GetString(f.Bytes!); break;
                case 2: simple = BitConverter.Int32BitsToSingle((int)f.Scalar); break;
                case 4:
                    var i = Fields(f.Bytes!).ToDictionary(x => x.Number);
                    image = new Image((long)i[1].Scalar, (long)i[2].Scalar, (long)i[3].Scalar, i[4].Bytes!);
                    break;
                case 8:
                    foreach (var t in Fields(f.Bytes!))
                    {
                        if (t.Number == 1) tensorType = (long)t.Scalar;
                        if (t.Number == 8) text = Encoding.UTF8.GetString(t.Bytes!);
                    }
                    break;
                case 9:
                    foreach (var m in Fields(f.Bytes!))
                    {
                        if (m.Number == 1) plugin = Encoding.UTF8.GetString(Fields(m.Bytes!).Single(p => p.Number == 1).Bytes!);
                        if (m.Number == 4) dataClass = (long)m.Scalar;
                    }
                    break;
            }
        }
        return new Value(tag, simple, plugin, dataClass, tensorType, text, image);
    }

    private sealed record Field(int Number, ulong Scalar, byte[]? Bytes);

    /// <summary>The fields of one protobuf message: varints and fixed 32/64-bit values as Scalar, length-delimited ones as Bytes.</summary>
    private static List<Field> Fields(byte[] message)
    {
        var fields = new List<Field>();
        int at = 0;
        while (at < message.Length)
        {
            var key = Varint(message, ref at);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add(new Field(number, Varint(message, ref at), null)); break;
                case 1: fields.Add(new Field(number, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at, 8)), null)); at += 8; break;
                case 5: fields.Add(new Field(number, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at, 4)), null)); at += 4; break;
                case 2:
                    var length = (int)Varint(message, ref at);
                    fields.Add(new Field(number, 0, message.AsSpan(at, length).ToArray()));
                    at += length;
                    break;
                default: throw new InvalidDataException($"unexpected wire type {wire} for field {number}");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] message, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            var b = message[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
