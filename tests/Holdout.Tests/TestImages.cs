using System.IO.Compression;
using SkiaSharp;

namespace Holdout.Tests;

/// <summary>Tiny images generated in code, in every format and pixel layout the data layer must read.</summary>
internal static class TestImages
{
    /// <summary>A smooth, seed-dependent colour picture (gradients + a disc + noise blocks), so perceptual hashes differ between seeds.</summary>
    public static SKBitmap Picture(int seed, int width = 64, int height = 48)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var random = new Random(seed);
        using var canvas = new SKCanvas(bitmap);
        var c1 = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var c2 = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height * (float)random.NextDouble()), [c1, c2], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(0, 0, width, height, paint);
        }
        for (var k = 0; k < 6; k++)
        {
            using var paint = new SKPaint { Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), IsAntialias = true };
            canvas.DrawCircle((float)random.NextDouble() * width, (float)random.NextDouble() * height, (float)(0.1 + 0.25 * random.NextDouble()) * Math.Min(width, height), paint);
        }
        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    public static byte[] Jpeg(int seed, int width = 64, int height = 48, int quality = 95)
    {
        using var picture = Picture(seed, width, height);
        return Encode(picture, SKEncodedImageFormat.Jpeg, quality);
    }

    public static byte[] Png(int seed, int width = 64, int height = 48)
    {
        using var picture = Picture(seed, width, height);
        return Encode(picture, SKEncodedImageFormat.Png);
    }

    public static byte[] Webp(int seed, int width = 64, int height = 48)
    {
        using var picture = Picture(seed, width, height);
        return Encode(picture, SKEncodedImageFormat.Webp, 100);
    }

    /// <summary>Resized copy (bilinear + mipmaps), JPEG-encoded.</summary>
    public static byte[] ResizedJpeg(byte[] encoded, double factor, int quality = 95)
    {
        using var original = SKBitmap.Decode(encoded);
        var info = new SKImageInfo((int)Math.Round(original.Width * factor), (int)Math.Round(original.Height * factor), SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var resized = original.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        return Encode(resized, SKEncodedImageFormat.Jpeg, quality);
    }

    /// <summary>Decoded and re-encoded as JPEG at <paramref name="quality"/>.</summary>
    public static byte[] Reencoded(byte[] encoded, int quality)
    {
        using var original = SKBitmap.Decode(encoded);
        return Encode(original, SKEncodedImageFormat.Jpeg, quality);
    }

    /// <summary>24-bit BMP (bottom-up rows, BGR, 4-byte row padding).</summary>
    public static byte[] Bmp(int seed, int width = 32, int height = 24)
    {
        using var picture = Picture(seed, width, height);
        var rowSize = (width * 3 + 3) & ~3;
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        WriteBmpHeader(writer, width, height, 24, rowSize * height, rowSize * height, 0);
        for (var y = height - 1; y >= 0; y--)
        {
            for (var x = 0; x < width; x++)
            {
                var c = picture.GetPixel(x, y);
                writer.Write(c.Blue);
                writer.Write(c.Green);
                writer.Write(c.Red);
            }
            for (var p = width * 3; p < rowSize; p++)
            {
                writer.Write((byte)0);
            }
        }
        return stream.ToArray();
    }

    /// <summary>
    /// BITMAPFILEHEADER + BITMAPINFOHEADER (uncompressed); the palette of <paramref name="colors"/> BGRA entries and
    /// the pixel data follow.
    /// </summary>
    public static void WriteBmpHeader(BinaryWriter writer, int width, int height, short bitsPerPixel, int imageBytes, int writtenBytes, int colors)
    {
        var dataOffset = 54 + 4 * colors;
        writer.Write((byte)'B');
        writer.Write((byte)'M');
        writer.Write(dataOffset + writtenBytes);
        writer.Write(0);
        writer.Write(dataOffset);
        writer.Write(40);
        writer.Write(width);
        writer.Write(height);
        writer.Write((short)1);
        writer.Write(bitsPerPixel);
        writer.Write(0);
        writer.Write(imageBytes);
        writer.Write(2835);
        writer.Write(2835);
        writer.Write(colors);
        writer.Write(0);
    }

    /// <summary>
    /// A two-frame GIF89a with a 4-colour palette; frame 1 is red/green halves (left red), frame 2 all blue.
    /// Uncompressed-style LZW: a clear code before every pixel keeps codes at 3 bits.
    /// </summary>
    public static byte[] TwoFrameGif(int width = 8, int height = 8)
    {
        using var stream = new MemoryStream();
        void Bytes(params byte[] b) => stream.Write(b);
        void Short(int v) => Bytes((byte)(v & 0xFF), (byte)(v >> 8));
        Bytes("GIF89a"u8.ToArray());
        Short(width);
        Short(height);
        Bytes(0xF1, 0, 0); // global colour table, 4 entries
        Bytes(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255);
        void Frame(Func<int, int, int> index)
        {
            Bytes(0x21, 0xF9, 4, 0, 10, 0, 0, 0); // graphic control: 0.1 s
            Bytes(0x2C);
            Short(0);
            Short(0);
            Short(width);
            Short(height);
            Bytes(0);
            Bytes(2); // LZW minimum code size: clear = 4, end = 5, codes 3 bits
            var bits = new List<bool>();
            void Code(int code)
            {
                for (var b = 0; b < 3; b++)
                {
                    bits.Add(((code >> b) & 1) == 1);
                }
            }
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    Code(4);
                    Code(index(x, y));
                }
            }
            Code(5);
            var data = new byte[(bits.Count + 7) / 8];
            for (var i = 0; i < bits.Count; i++)
            {
                if (bits[i])
                {
                    data[i / 8] |= (byte)(1 << (i % 8));
                }
            }
            for (var offset = 0; offset < data.Length; offset += 255)
            {
                var length = Math.Min(255, data.Length - offset);
                Bytes((byte)length);
                stream.Write(data, offset, length);
            }
            Bytes(0);
        }
        Frame((x, _) => x < width / 2 ? 0 : 1);
        Frame((_, _) => 2);
        Bytes(0x3B);
        return stream.ToArray();
    }

    /// <summary>A PNG with any colour type and bit depth: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.</summary>
    /// <param name="colorType">PNG colour type.</param>
    /// <param name="bitDepth">1, 2, 4 (grey and palette), 8 or 16 (not palette).</param>
    /// <param name="sample">Channel values for pixel (x, y), in 0..(2^bitDepth - 1); palette: the index.</param>
    /// <param name="palette">RGB palette for colour type 3.</param>
    public static byte[] RawPng(int width, int height, int colorType, int bitDepth, Func<int, int, int[]> sample, byte[]? palette = null)
    {
        using var stream = new MemoryStream();
        stream.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        void Chunk(string type, byte[] data)
        {
            var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
            WriteBigEndian(stream, data.Length);
            stream.Write(typeBytes);
            stream.Write(data);
            WriteBigEndian(stream, (int)Crc32([.. typeBytes, .. data]));
        }
        using (var header = new MemoryStream())
        {
            WriteBigEndian(header, width);
            WriteBigEndian(header, height);
            header.Write([(byte)bitDepth, (byte)colorType, 0, 0, 0]);
            Chunk("IHDR", header.ToArray());
        }
        if (palette is not null)
        {
            Chunk("PLTE", palette);
        }
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            int packed = 0, bits = 0;
            for (var x = 0; x < width; x++)
            {
                foreach (var value in sample(x, y))
                {
                    if (bitDepth < 8)
                    {
                        // 1, 2 and 4-bit samples are packed, most significant bits first.
                        packed = (packed << bitDepth) | value;
                        bits += bitDepth;
                        if (bits == 8)
                        {
                            raw.WriteByte((byte)packed);
                            packed = bits = 0;
                        }
                        continue;
                    }
                    if (bitDepth == 16)
                    {
                        raw.WriteByte((byte)(value >> 8));
                    }
                    raw.WriteByte((byte)value);
                }
            }
            if (bits > 0)
            {
                raw.WriteByte((byte)(packed << (8 - bits)));
            }
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw.ToArray());
        }
        Chunk("IDAT", compressed.ToArray());
        Chunk("IEND", []);
        return stream.ToArray();
    }

    /// <summary>A JPEG with an EXIF APP1 segment holding only the orientation tag (1..8).</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        var tiff = new List<byte>();
        tiff.AddRange("MM"u8.ToArray());
        tiff.AddRange(new byte[] { 0, 42, 0, 0, 0, 8 }); // big-endian TIFF, IFD at 8
        tiff.AddRange(new byte[] { 0, 1 }); // one entry
        tiff.AddRange(new byte[] { 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0 }); // Orientation, SHORT, 1
        tiff.AddRange(new byte[] { 0, 0, 0, 0 }); // no next IFD
        var payload = new List<byte>();
        payload.AddRange("Exif\0\0"u8.ToArray());
        payload.AddRange(tiff);
        var length = payload.Count + 2;
        var segment = new List<byte> { 0xFF, 0xE1, (byte)(length >> 8), (byte)length };
        segment.AddRange(payload);
        return [.. jpeg.Take(2), .. segment, .. jpeg.Skip(2)];
    }

    private static void WriteBigEndian(Stream stream, int value) =>
        stream.Write([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    public static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
