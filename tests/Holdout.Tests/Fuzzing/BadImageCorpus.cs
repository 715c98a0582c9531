using SkiaSharp;

namespace Holdout.Tests.Fuzzing;

/// <summary>
/// Files that look like images and are not, or are images built to hurt: each with the file name it is saved under
/// and what reading it must give: null = it must be read; <see cref="Either"/> = read or refused, as long as it is
/// a clear reason; else how the reason must start.
/// </summary>
internal static class BadImageCorpus
{
    public sealed record Entry(string FileName, byte[] Bytes, string? ReasonStart);

    /// <summary>The file may be read or refused.</summary>
    public const string Either = "";

    /// <summary>The pixel limit the corpus is read under: low enough that the worst case (4 bytes a pixel) is small, above the 16.8 megapixels where the bounded paths start.</summary>
    public const long MaxPixels = 40_000_000;

    public static IReadOnlyList<Entry> Entries()
    {
        var jpeg = TestImages.Jpeg(1, 64, 48);
        var png = TestImages.Png(2, 64, 48);
        var pixel = new HostileImages.GifFrame(0, 0, 1, 1, (_, _) => 0);
        return
        [
            new("empty.jpg", [], "empty file"),
            new("text.jpg", "These are holiday notes, not pixels.\n"u8.ToArray(), "not an image"),
            new("truncated.jpg", jpeg[..(jpeg.Length / 2)], "truncated"),
            new("random-after-header.jpg", [.. jpeg[..20], .. Random(1, 4000)], Either),
            new("gif-named.jpg", TestImages.TwoFrameGif(), null),
            new("sixteen-bit.png", TestImages.RawPng(40, 30, 2, 16, (x, y) => [x * 1600, y * 2100, 30000]), null),
            new("palette.png", TestImages.RawPng(40, 30, 3, 8, (x, _) => [x % 2], [10, 20, 30, 200, 150, 100]), null),
            new("alpha.png", TestImages.RawPng(40, 30, 6, 8, (x, y) => [x * 6, y * 8, 90, (x + y) % 256]), null),
            new("grey-alpha-16.png", TestImages.RawPng(40, 30, 4, 16, (x, y) => [x * 1600, y * 2000]), null),

            // Bombs: headers claiming far more than the limit, with almost no data.
            new("bomb.png", HostileImages.Png(30000, 30000, rows: 1), "too large"),
            new("bomb.jpg", HostileImages.FlatJpeg(60000, 60000, blocks: 100), "too large"),
            new("bomb.gif", HostileImages.Gif(65535, 65535, [pixel]), "too large"),
            new("bomb.webp", HostileImages.WebpClaiming(16383, 16383), "too large"),
            new("bomb.bmp", HostileImages.Bmp(40000, 40000, (_, _) => 0, rows: 1), "too large"),
            new("bomb-canvas.webp", HostileImages.WebpWithCanvas(HostileImages.Encoded(16, 16, SKEncodedImageFormat.Webp, 80), 16384, 16384), "not an image"),
            new("interlaced-bomb.png", HostileImages.Png(20000, 20000, interlace: 1, rows: 1), "too large"),

            // Headers that lie about the size, under the limit: the large (bounded) paths meet data that ends early.
            new("lying-big.png", HostileImages.Png(6000, 6000, rows: 3), "truncated"),
            new("lying-big-interlaced.png", HostileImages.Png(5000, 5000, interlace: 1, rows: 3), "truncated"),
            new("lying-big-16bit-rgba.png", HostileImages.Png(5000, 5000, colorType: 6, bitDepth: 16, rows: 2), "truncated"),
            new("lying-big.jpg", HostileImages.FlatJpeg(6000, 6000, blocks: 100), "truncated"),
            new("lying-big.bmp", HostileImages.Bmp(6000, 6000, (_, _) => 1, rows: 5), "truncated"),
            new("lying-big.webp", HostileImages.WebpClaiming(6000, 6000), Either),
            new("lying-small.png", LyingSmallPng(), "undecodable"),
            new("lying-wide-strip.png", HostileImages.Png(39_000_000, 1, rows: 0), Either),
            new("big-canvas-tiny-frame.gif", HostileImages.Gif(6000, 6000, [pixel]), Either),
            new("frame-outside-canvas.gif", HostileImages.Gif(8, 8, [new HostileImages.GifFrame(60000, 60000, 5000, 5000, (_, _) => 1)]), "too large"),
            new("frame-larger-than-canvas.gif", HostileImages.Gif(8, 8, [new HostileImages.GifFrame(0, 0, 3000, 3000, (_, _) => 2)]), null),

            // Zero-size frames and images.
            new("zero-frame.gif", HostileImages.Gif(8, 8, [new HostileImages.GifFrame(0, 0, 0, 0, (_, _) => 0)]), null),
            new("zero-size.png", HostileImages.Png(0, 0, rows: 0), Either),
            new("zero-width.bmp", HostileImages.Bmp(0, 10, (_, _) => 0), "not an image"),
            new("zero-height.jpg", HostileImages.FlatJpeg(16, 0), "not an image"),

            // Huge metadata and many frames.
            new("huge-exif.jpg", HostileImages.WithHugeExif(jpeg, 120), null),
            new("many-frames.gif", HostileImages.Gif(4, 4, Enumerable.Range(0, 5000).Select(i => new HostileImages.GifFrame(0, 0, 4, 4, (x, y) => (x + y + i) % 4))), null),
            new("png-named.webp", png, null),
        ];
    }

    /// <summary>An IHDR that says 8x8 in front of the compressed rows of a 64x48 image.</summary>
    private static byte[] LyingSmallPng()
    {
        var bytes = TestImages.Png(3, 64, 48);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), 8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), 8);
        var crc = TestImages.Crc32(bytes[12..29]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), crc);
        return bytes;
    }

    private static byte[] Random(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
