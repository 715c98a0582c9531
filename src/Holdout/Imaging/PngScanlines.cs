using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// Decodes a non-interlaced PNG row by row straight into a <see cref="BoxReducer"/>, so a large PNG never needs its
/// full-size pixels in memory: SkiaSharp 3.119's PNG codec has neither scanline nor scaled decoding. Only the
/// colour values are read (alpha and transparency are dropped as everywhere in Holdout; no colour management, as
/// SkiaSharp without a destination colour space); 16-bit samples keep their high byte, grey and palette depths
/// below 8 bits are scaled to 0..255. Interlaced files, and images under 8 rows (whose row buffers would outweigh
/// the whole image), are left to SkiaSharp (<see cref="SKCodecResult.Unimplemented"/>).
/// </summary>
internal static unsafe class PngScanlines
{
    private static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Decodes a PNG held in an array (see the pointer overload).</summary>
    public static SKCodecResult Decode(byte[] file, SKSizeI size, SKSizeI need, out SKBitmap? decoded)
    {
        fixed (byte* data = file)
        {
            return Decode(data, file.Length, size, need, out decoded);
        }
    }

    /// <summary>Decodes the PNG at <paramref name="data"/> reduced by a whole factor to at least <paramref name="need"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="length">Its length in bytes.</param>
    /// <param name="size">The size its header was accepted with (checked against the pixel limit); a header that
    /// says otherwise is refused.</param>
    /// <param name="need">The smallest acceptable size.</param>
    /// <param name="decoded">The reduced, opaque RGBA 8888 image on success.</param>
    /// <returns>Success, IncompleteInput (data ends early), ErrorInInput (corrupt), or Unimplemented (interlaced,
    /// very short or very wide: use another decoder).</returns>
    public static SKCodecResult Decode(byte* data, long length, SKSizeI size, SKSizeI need, out SKBitmap? decoded)
    {
        decoded = null;
        if (data is null || length < 8 + 25 || !new ReadOnlySpan<byte>(data, 8).SequenceEqual(Signature))
        {
            return SKCodecResult.ErrorInInput;
        }
        using var file = new UnmanagedMemoryStream(data, length);
        var ihdr = new ReadOnlySpan<byte>(data + 12, 17); // chunk type, then width, height, depth, colour type, ..., interlace
        if (!ihdr[..4].SequenceEqual("IHDR"u8))
        {
            return SKCodecResult.ErrorInInput;
        }
        var width = BinaryPrimitives.ReadInt32BigEndian(ihdr[4..]);
        var height = BinaryPrimitives.ReadInt32BigEndian(ihdr[8..]);
        int bitDepth = ihdr[12], colorType = ihdr[13], interlace = ihdr[16];
        if (interlace != 0 || height < 8)
        {
            // Interlaced rows arrive in seven passes; a very short image's rows would cost more than the whole.
            return SKCodecResult.Unimplemented;
        }
        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        var depthAllowed = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            _ => bitDepth is 8 or 16,
        };
        if (width != size.Width || height != size.Height || channels == 0 || !depthAllowed)
        {
            return SKCodecResult.ErrorInInput;
        }
        var bitsPerPixel = channels * bitDepth;
        var rowLength = ((long)width * bitsPerPixel + 7) / 8;
        if (rowLength > Array.MaxLength / 2)
        {
            return SKCodecResult.Unimplemented;
        }

        // Chunks after the header: the palette and where the compressed data lies.
        var palette = new byte[256 * 3];
        var idat = new List<(long Offset, int Length)>();
        long position = 8;
        while (position + 12 <= length)
        {
            var chunkLength = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(data + position, 4));
            var type = new ReadOnlySpan<byte>(data + position + 4, 4);
            var start = position + 8;
            var available = (int)Math.Min(chunkLength, (ulong)Math.Max(0, length - start));
            if (type.SequenceEqual("PLTE"u8))
            {
                new ReadOnlySpan<byte>(data + start, Math.Min(available, palette.Length)).CopyTo(palette);
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idat.Add((start, available));
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }
            position = start + (long)chunkLength + 4;
        }
        if (idat.Count == 0)
        {
            return SKCodecResult.IncompleteInput;
        }

        var rowBytes = (int)rowLength;
        var filterStride = Math.Max(1, bitsPerPixel / 8);
        var previous = new byte[rowBytes];
        var current = new byte[rowBytes];
        var rgba = new byte[4L * width];
        using var reducer = new BoxReducer(new SKSizeI(width, height), need);
        try
        {
            using var inflater = new ZLibStream(new ChunkStream(file, idat), CompressionMode.Decompress);
            var filter = new byte[1];
            for (var y = 0; y < height; y++)
            {
                if (!ReadFully(inflater, filter) || !ReadFully(inflater, current))
                {
                    return SKCodecResult.IncompleteInput;
                }
                if (!Unfilter(filter[0], current, previous, filterStride))
                {
                    return SKCodecResult.ErrorInInput;
                }
                ToRgba(current, rgba, width, colorType, bitDepth, palette);
                fixed (byte* row = rgba)
                {
                    reducer.AddRow(y, row);
                }
                (previous, current) = (current, previous);
            }
        }
        catch (InvalidDataException)
        {
            return SKCodecResult.ErrorInInput;
        }
        decoded = reducer.Finish();
        return SKCodecResult.Success;
    }

    private static bool ReadFully(Stream stream, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    /// <summary>Undoes a PNG row filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth); false for an unknown filter.</summary>
    private static bool Unfilter(byte filter, byte[] row, byte[] above, int stride)
    {
        switch (filter)
        {
            case 0:
                return true;
            case 1:
                for (var i = stride; i < row.Length; i++)
                {
                    row[i] += row[i - stride];
                }
                return true;
            case 2:
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] += above[i];
                }
                return true;
            case 3:
                for (var i = 0; i < row.Length; i++)
                {
                    var left = i >= stride ? row[i - stride] : 0;
                    row[i] += (byte)((left + above[i]) >> 1);
                }
                return true;
            case 4:
                for (var i = 0; i < row.Length; i++)
                {
                    int a = i >= stride ? row[i - stride] : 0, b = above[i], c = i >= stride ? above[i - stride] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                return true;
            default:
                return false;
        }
    }

    /// <summary>One unfiltered row to RGBA 8888 (alpha 255).</summary>
    private static void ToRgba(byte[] row, byte[] rgba, int width, int colorType, int bitDepth, byte[] palette)
    {
        var step = bitDepth == 16 ? 2 : 1; // 16-bit samples: the high byte
        for (var x = 0; x < width; x++)
        {
            byte r, g, b;
            switch (colorType)
            {
                case 0:
                    r = g = b = Grey(row, x, bitDepth);
                    break;
                case 3:
                    var index = Sample(row, x, bitDepth);
                    r = palette[3 * index];
                    g = palette[3 * index + 1];
                    b = palette[3 * index + 2];
                    break;
                case 4:
                    r = g = b = row[2 * step * x];
                    break;
                default: // 2 (RGB) and 6 (RGBA)
                    var at = (colorType == 2 ? 3 : 4) * step * x;
                    r = row[at];
                    g = row[at + step];
                    b = row[at + 2 * step];
                    break;
            }
            rgba[4 * x] = r;
            rgba[4 * x + 1] = g;
            rgba[4 * x + 2] = b;
            rgba[4 * x + 3] = 255;
        }
    }

    private static byte Grey(byte[] row, int x, int bitDepth) => bitDepth switch
    {
        16 => row[2 * x],
        8 => row[x],
        _ => (byte)(Sample(row, x, bitDepth) * 255 / ((1 << bitDepth) - 1)),
    };

    /// <summary>The x-th sample of a row packed at 1, 2, 4 or 8 bits, most significant bits first.</summary>
    private static int Sample(byte[] row, int x, int bitDepth)
    {
        if (bitDepth == 8)
        {
            return row[x];
        }
        var bit = x * bitDepth;
        return (row[bit >> 3] >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
    }

    /// <summary>The IDAT payloads of a file read as one stream.</summary>
    private sealed class ChunkStream(Stream file, List<(long Offset, int Length)> chunks) : Stream
    {
        private int _chunk;
        private int _within;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_chunk < chunks.Count && _within >= chunks[_chunk].Length)
            {
                _chunk++;
                _within = 0;
            }
            if (_chunk >= chunks.Count || count == 0)
            {
                return 0;
            }
            var (start, size) = chunks[_chunk];
            file.Position = start + _within;
            var n = file.Read(buffer, offset, Math.Min(count, size - _within));
            _within += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
