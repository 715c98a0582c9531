using System.Buffers.Binary;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Tests.Imaging;

/// <summary>Holdout's row-by-row PNG reader (used for large PNGs) against SkiaSharp's decoder on small files.</summary>
public sealed class PngScanlinesTests
{
    public static TheoryData<string, byte[]> Pngs()
    {
        var palette = new byte[16 * 3];
        for (var i = 0; i < palette.Length; i++)
        {
            palette[i] = (byte)(i * 37 % 256);
        }
        return new()
        {
            // SkiaSharp's encoder chooses among all five row filters, so these exercise sub, up, average and Paeth.
            { "encoder RGB", TestImages.Png(11, 64, 48) },
            { "encoder RGBA", EncodedWithAlpha() },
            { "grey 1-bit", TestImages.RawPng(37, 20, 0, 1, (x, y) => [(x + y) % 2]) },
            { "grey 2-bit", TestImages.RawPng(37, 20, 0, 2, (x, y) => [(x * y) % 4]) },
            { "grey 4-bit", TestImages.RawPng(37, 20, 0, 4, (x, y) => [(x + 3 * y) % 16]) },
            { "grey 8-bit", TestImages.RawPng(37, 20, 0, 8, (x, y) => [(x * 7 + y * 3) % 256]) },
            { "grey 16-bit", TestImages.RawPng(37, 20, 0, 16, (x, y) => [(x * 1777 + y * 311) % 65536]) },
            { "RGB 16-bit", TestImages.RawPng(37, 20, 2, 16, (x, y) => [x * 1500, y * 3000, (x + y) * 1000]) },
            { "palette 4-bit", TestImages.RawPng(37, 20, 3, 4, (x, y) => [(x + y) % 16], palette) },
            { "palette 8-bit", TestImages.RawPng(37, 20, 3, 8, (x, y) => [(x * y) % 16], palette) },
            { "grey+alpha 8-bit", TestImages.RawPng(37, 20, 4, 8, (x, y) => [x * 6, y * 12]) },
            { "RGBA 16-bit", TestImages.RawPng(37, 20, 6, 16, (x, y) => [x * 1700, y * 3100, 40000, 1234]) },
        };
    }

    private static byte[] EncodedWithAlpha()
    {
        using var bitmap = TestImages.Picture(12, 64, 48);
        for (var x = 0; x < 64; x++)
        {
            bitmap.SetPixel(x, 5, bitmap.GetPixel(x, 5).WithAlpha((byte)(x * 4)));
        }
        using var unpremultiplied = new SKBitmap(new SKImageInfo(64, 48, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.CopyTo(unpremultiplied);
        return TestImages.Encode(unpremultiplied, SKEncodedImageFormat.Png);
    }

    private static SKBitmap Streamed(byte[] png, SKSizeI need)
    {
        using var codec = SKCodec.Create(SKData.CreateCopy(png));
        Assert.Equal(SKCodecResult.Success, PngScanlines.Decode(png, new SKSizeI(codec.Info.Width, codec.Info.Height), need, out var decoded));
        return decoded!;
    }

    private static SKBitmap Reference(byte[] png)
    {
        Assert.True(ImageSource.TryOpen("reference", png, out var source, out var reason), reason);
        using (source)
        {
            return source!.Decode();
        }
    }

    [Theory]
    [MemberData(nameof(Pngs))]
    public void Should_decode_every_colour_type_depth_and_filter_as_skia_does(string kind, byte[] png)
    {
        // Given a PNG; When it is read row by row at full size and reduced by 2, and decoded by SkiaSharp
        using var reference = Reference(png);
        using var full = Streamed(png, new SKSizeI(reference.Width, reference.Height));
        using var half = Streamed(png, new SKSizeI(reference.Width / 2, reference.Height / 2));
        using var referenceHalf = BoxReducer.Reduce(reference.Copy(), new SKSizeI(reference.Width / 2, reference.Height / 2));

        // Then the colours agree (16-bit samples within one level: the high byte against SkiaSharp's rounding)
        var tolerance = kind.Contains("16-bit", StringComparison.Ordinal) ? 1 : 0;
        AssertSame(reference, full, tolerance, kind);
        AssertSame(referenceHalf, half, tolerance, kind);
    }

    [Fact]
    public void Should_report_cut_and_corrupt_data_and_leave_interlaced_files_to_skia()
    {
        var png = TestImages.Png(13, 64, 48);
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        var corrupt = (byte[])png.Clone();
        for (var i = idat + 6; i < idat + 40; i++)
        {
            corrupt[i] ^= 0xA5;
        }
        var interlaced = TestImages.RawPng(16, 16, 0, 8, (x, _) => [x]);
        interlaced[8 + 8 + 12] = 1;

        Assert.Equal(SKCodecResult.IncompleteInput, Result(png[..(idat + 30)]));
        Assert.Equal(SKCodecResult.ErrorInInput, Result(corrupt));
        Assert.Equal(SKCodecResult.Unimplemented, Result(interlaced));
    }

    private static SKCodecResult Result(byte[] png)
    {
        var result = PngScanlines.Decode(png, new SKSizeI(BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))), new SKSizeI(8, 8), out var decoded);
        decoded?.Dispose();
        return result;
    }

    private static void AssertSame(SKBitmap expected, SKBitmap actual, int tolerance, string kind)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                SKColor e = expected.GetPixel(x, y), a = actual.GetPixel(x, y);
                var worst = Math.Max(Math.Abs(e.Red - a.Red), Math.Max(Math.Abs(e.Green - a.Green), Math.Abs(e.Blue - a.Blue)));
                Assert.True(worst <= tolerance, $"{kind}: pixel ({x}, {y}) is {a}, SkiaSharp gives {e}");
                Assert.Equal(255, a.Alpha);
            }
        }
    }
}
