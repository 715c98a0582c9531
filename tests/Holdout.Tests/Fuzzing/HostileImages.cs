using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace Holdout.Tests.Fuzzing;

/// <summary>
/// Writes image files byte by byte, including the ones no encoder would produce: headers that claim huge sizes with
/// almost no data (decompression bombs), sizes that lie, odd frames. Everything is streamed or tiny, so making a
/// bomb never costs what decoding it would.
/// </summary>
internal static class HostileImages
{
    /// <summary>A valid baseline greyscale JPEG of uniform grey 128: each 8x8 block is two bits (DC difference 0, end of block).</summary>
    /// <param name="blocks">How many blocks of data to write; null = all of them and the end marker (a valid file),
    /// fewer = a file cut off there (no end marker: a premature end marker is only a warning to libjpeg).</param>
    public static byte[] FlatJpeg(int width, int height, long? blocks = null)
    {
        using var stream = new MemoryStream();
        stream.Write(JpegHeader(width, height));
        var total = (long)((width + 7) / 8) * ((height + 7) / 8);
        var written = Math.Min(total, blocks ?? total);
        var (zeroBytes, bits) = Math.DivRem(2 * written, 8L);
        stream.Write(new byte[zeroBytes]);
        if (bits > 0)
        {
            stream.WriteByte((byte)(0xFF >> (int)bits));
        }
        if (written == total)
        {
            stream.Write([0xFF, 0xD9]);
        }
        return stream.ToArray();
    }

    /// <summary>SOI, a quantisation table of ones, SOF0 for a greyscale image, one-code Huffman tables and SOS.</summary>
    public static byte[] JpegHeader(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0xFF, 0xD8]);
        Segment(stream, 0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);
        Segment(stream, 0xC0, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);
        byte[] oneCode = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // symbol 0 has the 1-bit code '0'
        Segment(stream, 0xC4, [0x00, .. oneCode]);
        Segment(stream, 0xC4, [0x10, .. oneCode]);
        Segment(stream, 0xDA, [1, 1, 0, 0, 63, 0]);
        return stream.ToArray();
    }

    /// <summary>A JPEG with <paramref name="count"/> APP1 segments of 65533 bytes each right after SOI.</summary>
    public static byte[] WithHugeExif(byte[] jpeg, int count)
    {
        using var stream = new MemoryStream();
        stream.Write(jpeg.AsSpan(0, 2));
        var payload = new byte[65533];
        "Exif\0\0MM\0*"u8.CopyTo(payload);
        for (var i = 0; i < count; i++)
        {
            Segment(stream, 0xE1, payload);
        }
        stream.Write(jpeg.AsSpan(2));
        return stream.ToArray();
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> x <paramref name="height"/> with <paramref name="rows"/> rows of zero data.</summary>
    public static byte[] Png(int width, int height, int colorType = 0, int bitDepth = 8, int interlace = 0, int? rows = null)
    {
        var channels = colorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        var rowBytes = 1 + ((long)width * channels * bitDepth + 7) / 8;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[(rows ?? height) > 0 ? rowBytes : 0];
            for (var y = 0; y < (rows ?? height); y++)
            {
                zlib.Write(row);
            }
        }
        using var stream = new MemoryStream();
        stream.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)bitDepth;
        header[9] = (byte)colorType;
        header[12] = (byte)interlace;
        PngChunk(stream, "IHDR", header);
        if (colorType == 3)
        {
            PngChunk(stream, "PLTE", [10, 20, 30, 200, 150, 100]);
        }
        PngChunk(stream, "IDAT", compressed.ToArray());
        PngChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>A GIF89a frame: its rectangle and the palette index of each of its pixels.</summary>
    public sealed record GifFrame(int Left, int Top, int Width, int Height, Func<int, int, int> Index);

    /// <summary>
    /// A GIF89a with a 4-colour palette (red, green, blue, white) on a <paramref name="width"/> x
    /// <paramref name="height"/> screen. LZW without compression: a clear code before every pixel keeps codes at
    /// 3 bits (6 bits per pixel), so any picture is quick to write.
    /// </summary>
    public static byte[] Gif(int width, int height, IEnumerable<GifFrame> frames)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        WriteShort(stream, width);
        WriteShort(stream, height);
        stream.Write([0xF1, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
        foreach (var frame in frames)
        {
            stream.Write([0x21, 0xF9, 4, 0, 1, 0, 0, 0]);
            stream.WriteByte(0x2C);
            WriteShort(stream, frame.Left);
            WriteShort(stream, frame.Top);
            WriteShort(stream, frame.Width);
            WriteShort(stream, frame.Height);
            stream.Write([0, 2]);
            var bits = new BitWriter();
            for (var y = 0; y < frame.Height; y++)
            {
                for (var x = 0; x < frame.Width; x++)
                {
                    bits.Write(4, 3);
                    bits.Write(frame.Index(x, y), 3);
                }
            }
            bits.Write(5, 3);
            var data = bits.ToArray();
            for (var offset = 0; offset < data.Length; offset += 255)
            {
                var length = Math.Min(255, data.Length - offset);
                stream.WriteByte((byte)length);
                stream.Write(data, offset, length);
            }
            stream.WriteByte(0);
        }
        stream.WriteByte(0x3B);
        return stream.ToArray();
    }

    /// <summary>A one-frame GIF filling its screen.</summary>
    public static byte[] Gif(int width, int height, Func<int, int, int> index) => Gif(width, height, [new GifFrame(0, 0, width, height, index)]);

    /// <summary>
    /// A BMP (BITMAPINFOHEADER, 8-bit palette of 4 colours: red, green, blue, white) whose header claims
    /// <paramref name="width"/> x <paramref name="height"/>; rows are written bottom-up, <paramref name="rows"/> of them.
    /// </summary>
    public static byte[] Bmp(int width, int height, Func<int, int, int> index, int? rows = null)
    {
        var rowSize = (width + 3) & ~3;
        var written = rows ?? height;
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        TestImages.WriteBmpHeader(writer, width, height, 8, rowSize * height, rowSize * Math.Max(0, written), 4);
        writer.Write(new byte[] { 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0 }); // BGRA palette
        var row = new byte[rowSize];
        for (var i = 0; i < written; i++)
        {
            var y = height - 1 - i;
            for (var x = 0; x < width; x++)
            {
                row[x] = (byte)index(x, y);
            }
            writer.Write(row);
        }
        return stream.ToArray();
    }

    /// <summary>
    /// An extended WebP (VP8X) whose canvas claims <paramref name="width"/> x <paramref name="height"/>, holding the
    /// image chunk of <paramref name="webp"/> (a simple WebP from an encoder).
    /// </summary>
    public static byte[] WebpWithCanvas(byte[] webp, int width, int height)
    {
        var image = webp.AsSpan(12).ToArray(); // the VP8/VP8L chunk of a simple file: RIFF size WEBP | chunk
        using var body = new MemoryStream();
        body.Write("WEBP"u8);
        body.Write("VP8X"u8);
        body.Write([10, 0, 0, 0, 0, 0, 0, 0]);
        Write24(body, width - 1);
        Write24(body, height - 1);
        body.Write(image);
        using var stream = new MemoryStream();
        stream.Write("RIFF"u8);
        stream.Write(BitConverter.GetBytes((int)body.Length));
        stream.Write(body.ToArray());
        return stream.ToArray();
    }

    /// <summary>A simple lossy WebP whose VP8 frame header is patched to claim <paramref name="width"/> x <paramref name="height"/> (at most 16383).</summary>
    public static byte[] WebpClaiming(int width, int height)
    {
        var bytes = Encoded(16, 16, SKEncodedImageFormat.Webp, 80);
        var vp8 = IndexOf(bytes, "VP8 "u8.ToArray());
        if (vp8 < 0)
        {
            throw new InvalidOperationException("the encoder did not write a lossy VP8 chunk");
        }
        // chunk header (8) + frame tag (3) + start code (3), then 14-bit width and height (with 2 scale bits each)
        var at = vp8 + 8 + 6;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)(width & 0x3FFF));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 2), (ushort)(height & 0x3FFF));
        return bytes;
    }

    /// <summary>An opaque RGBA picture of four quadrants: red, green (top right), blue (bottom left), white.</summary>
    public static int Quadrant(int x, int y, int width, int height) => (x < width / 2 ? 0 : 1) + (y < height / 2 ? 0 : 2);

    /// <summary>The colour of <see cref="Quadrant"/>'s palette index.</summary>
    public static SKColor QuadrantColor(int index) => index switch
    {
        0 => new SKColor(255, 0, 0),
        1 => new SKColor(0, 255, 0),
        2 => new SKColor(0, 0, 255),
        _ => new SKColor(255, 255, 255),
    };

    /// <summary>A four-quadrant picture of any size, encoded by SkiaSharp.</summary>
    public static byte[] Encoded(int width, int height, SKEncodedImageFormat format, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            for (var q = 0; q < 4; q++)
            {
                using var paint = new SKPaint { Color = QuadrantColor(q) };
                canvas.DrawRect(q % 2 == 0 ? 0 : width / 2, q < 2 ? 0 : height / 2, width - width / 2, height - height / 2, paint);
            }
        }
        return TestImages.Encode(bitmap, format, quality);
    }

    public static int IndexOf(byte[] bytes, byte[] pattern) => bytes.AsSpan().IndexOf(pattern);

    private static void Segment(Stream stream, int marker, byte[] data)
    {
        stream.Write([0xFF, (byte)marker, (byte)((data.Length + 2) >> 8), (byte)(data.Length + 2)]);
        stream.Write(data);
    }

    private static void PngChunk(Stream stream, string type, byte[] data)
    {
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        stream.Write(buffer);
        stream.Write(typeBytes);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, TestImages.Crc32([.. typeBytes, .. data]));
        stream.Write(buffer);
    }

    private static void WriteShort(Stream stream, int value) => stream.Write([(byte)value, (byte)(value >> 8)]);

    private static void Write24(Stream stream, int value) => stream.Write([(byte)value, (byte)(value >> 8), (byte)(value >> 16)]);

    /// <summary>Packs codes least-significant bit first, as GIF's LZW stream wants.</summary>
    private sealed class BitWriter
    {
        private readonly MemoryStream _bytes = new();
        private int _buffer;
        private int _count;

        public void Write(int code, int width)
        {
            _buffer |= code << _count;
            _count += width;
            while (_count >= 8)
            {
                _bytes.WriteByte((byte)_buffer);
                _buffer >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0)
            {
                _bytes.WriteByte((byte)_buffer);
                _buffer = 0;
                _count = 0;
            }
            return _bytes.ToArray();
        }
    }
}
