using Holdout.Imaging;
using Holdout.Tests.Fuzzing;
using SkiaSharp;

namespace Holdout.Tests.Imaging;

/// <summary>Images over 16.8 megapixels take the bounded-memory path: reduced while decoding, content kept.</summary>
public sealed class LargeImageDecodeTests
{
    private const int Side = 4100; // 16.81 megapixels: just over the 4096 x 4096 where the bounded path starts

    public static TheoryData<string> Formats() => ["jpeg", "png", "webp", "gif", "bmp"];

    private static byte[] FourQuadrants(string format) => format switch
    {
        "gif" => HostileImages.Gif(Side, Side, (x, y) => HostileImages.Quadrant(x, y, Side, Side)),
        "bmp" => HostileImages.Bmp(Side, Side, (x, y) => HostileImages.Quadrant(x, y, Side, Side)),
        "jpeg" => HostileImages.Encoded(Side, Side, SKEncodedImageFormat.Jpeg),
        "png" => HostileImages.Encoded(Side, Side, SKEncodedImageFormat.Png),
        _ => HostileImages.Encoded(Side, Side, SKEncodedImageFormat.Webp, 50),
    };

    private static void AssertNear(SKColor expected, SKColor actual)
    {
        Assert.InRange(actual.Red, Math.Max(0, expected.Red - 40), Math.Min(255, expected.Red + 40));
        Assert.InRange(actual.Green, Math.Max(0, expected.Green - 40), Math.Min(255, expected.Green + 40));
        Assert.InRange(actual.Blue, Math.Max(0, expected.Blue - 40), Math.Min(255, expected.Blue + 40));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Should_decode_a_large_image_reduced_to_the_size_asked_for_with_its_content(string format)
    {
        // Given a 4100x4100 picture of four coloured quadrants
        Assert.True(ImageSource.TryOpen(format, FourQuadrants(format), out var source, out var reason), reason);
        using (source)
        {
            // When it is decoded with at least 5 % of its size
            using var bitmap = source!.Decode(0.05);

            // Then it is at least 5 % of the size but far from full size, and each quadrant keeps its colour
            Assert.InRange(bitmap.Width, 205, Side / 4);
            Assert.InRange(bitmap.Height, 205, Side / 4);
            Assert.Equal(SKAlphaType.Opaque, bitmap.AlphaType);
            for (var q = 0; q < 4; q++)
            {
                var x = (q % 2 == 0 ? 1 : 3) * bitmap.Width / 4;
                var y = (q < 2 ? 1 : 3) * bitmap.Height / 4;
                AssertNear(HostileImages.QuadrantColor(q), bitmap.GetPixel(x, y));
            }
        }
    }

    [Fact]
    public void Should_fingerprint_a_large_image_reduced_so_copies_still_match_exactly_and_resized_ones_nearly()
    {
        // Given a 6000x6000 JPEG photo-like picture (36 megapixels), a byte-identical copy and a copy resized to 1500x1500
        byte[] large;
        using (var picture = TestImages.Picture(7, 6000, 6000))
        {
            large = TestImages.Encode(picture, SKEncodedImageFormat.Jpeg, 90);
        }
        using var folder = new TempFolder();
        var original = folder.Write("original.jpg", large);
        var copy = folder.Write("copy.jpg", large);
        var resized = folder.Write("resized.jpg", TestImages.ResizedJpeg(large, 0.25));

        // When they are measured
        var a = ImageProperties.Measure(original);
        var b = ImageProperties.Measure(copy);
        var c = ImageProperties.Measure(resized);

        // Then the large one is measured at its real size and hashed reduced, with perceptual hashes within the
        // near-duplicate thresholds of the full-size image's, and the copies match as they should
        Assert.Equal((6000, 6000), (a.Width, a.Height));
        Assert.InRange(a.Fingerprint.Width * (long)a.Fingerprint.Height, ImageSource.LargeImagePixels / 2, 2 * ImageSource.LargeImagePixels);
        using (var codec = SKCodec.Create(SKData.CreateCopy(large)))
        using (var full = SKBitmap.Decode(codec, new SKImageInfo(6000, 6000, SKColorType.Rgba8888, SKAlphaType.Opaque)))
        {
            var reference = PerceptualHash.Fingerprint("full size", full);
            var thresholds = new Holdout.Data.DuplicateOptions();
            Assert.InRange(PerceptualHash.HammingDistance(a.Fingerprint.DifferenceHash, reference.DifferenceHash), 0, thresholds.MaxDifferenceHashDistance);
            Assert.InRange(PerceptualHash.HammingDistance(a.Fingerprint.DctHash, reference.DctHash), 0, thresholds.MaxDctHashDistance);
        }
        Assert.Equal(a.Fingerprint.PixelHash, b.Fingerprint.PixelHash);
        Assert.InRange(PerceptualHash.HammingDistance(a.Fingerprint.DifferenceHash, c.Fingerprint.DifferenceHash), 0, 10);
        Assert.InRange(PerceptualHash.HammingDistance(a.Fingerprint.DctHash, c.Fingerprint.DctHash), 0, 10);
    }

    [Theory]
    [InlineData("bmp")]
    [InlineData("jpeg")]
    public void Should_report_a_large_image_whose_rows_end_early_as_truncated(string format)
    {
        // Given large files whose data stops a few rows in (the scanline path)
        var bytes = format == "bmp"
            ? HostileImages.Bmp(Side, Side, (_, _) => 1, rows: 10)
            : HostileImages.FlatJpeg(Side, Side, blocks: 1000);
        Assert.True(ImageSource.TryOpen(format, bytes, out var source, out var reason), reason);
        using (source)
        {
            // When it is decoded reduced
            var decoded = source!.TryDecode(0.05, out var bitmap, out reason);

            // Then it is a reason, not a crash
            bitmap?.Dispose();
            Assert.False(decoded);
            Assert.StartsWith("truncated", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_render_a_large_image_for_the_model_with_its_content()
    {
        // Given a large four-quadrant JPEG
        using var folder = new TempFolder();
        var path = folder.Write("large.jpg", HostileImages.Encoded(Side, Side, SKEncodedImageFormat.Jpeg));

        // When it is prepared for a 32-pixel model (0..1 scale, mean 0, std 1: values are the pixels / 255)
        var input = ModelInput.FromFile(path, new Preprocessing(32, ColorOrder.Rgb, ValueScale.UnitInterval, [0, 0, 0], [1, 1, 1], EvalResize.Stretch));

        // Then the top-left is red and the bottom-right white
        const int plane = 32 * 32;
        Assert.InRange(input[(4 * 32) + 4], 0.8f, 1f);
        Assert.InRange(input[plane + (4 * 32) + 4], 0f, 0.2f);
        Assert.InRange(input[(2 * plane) + (28 * 32) + 28], 0.8f, 1f);
    }
}
