using System.Buffers.Binary;

namespace Holdout.Training;

/// <summary>
/// TFRecord framing, as TensorFlow and TensorBoard read event files: for each record, its length (u64 little-endian),
/// the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data (both u32 little-endian).
/// </summary>
internal static class TfRecord
{
    private const uint MaskDelta = 0xa282ead8;
    private static readonly uint[] Table = BuildTable();

    /// <summary>Appends one framed record holding <paramref name="data"/> to <paramref name="output"/>.</summary>
    public static void Write(Stream output, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(data));
        output.Write(header);
        output.Write(data);
        output.Write(footer);
    }

    /// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of <paramref name="data"/>; "123456789" gives 0xE3069283.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>TensorFlow's masked CRC: rotate right by 15 bits, add 0xa282ead8.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + MaskDelta;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var crc = i;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            table[i] = crc;
        }
        return table;
    }
}
