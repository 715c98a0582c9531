using Holdout.Reporting;
using SkiaSharp;

namespace Holdout.Tests.Reporting;

public sealed class ThumbnailTests
{
    [Fact]
    public void Should_shrink_an_image_to_a_small_jpeg_keeping_its_aspect()
    {
        // Given a 640×320 PNG with transparency
        using var surface = SKSurface.Create(new SKImageInfo(640, 320));
        surface.Canvas.Clear(SKColors.Transparent);
        using (var paint = new SKPaint { Color = SKColors.Red })
            surface.Canvas.DrawRect(0, 0, 320, 320, paint);
        using var snapshot = surface.Snapshot();
        var png = snapshot.Encode(SKEncodedImageFormat.Png, 100).ToArray();

        // When a 160-pixel thumbnail is made
        var jpeg = Thumbnail.Jpeg(null, png, 160)!;

        // Then it is a 160×80 JPEG, red on the left and white (not black) where the source was transparent
        Assert.Equal(new byte[] { 0xFF, 0xD8 }, jpeg[..2]);
        using var bitmap = SKBitmap.Decode(jpeg);
        Assert.Equal((160, 80), (bitmap.Width, bitmap.Height));
        Assert.True(bitmap.GetPixel(20, 40).Red > 200 && bitmap.GetPixel(20, 40).Green < 60);
        Assert.True(bitmap.GetPixel(140, 40).Green > 230);
        Assert.True(jpeg.Length < 8000, $"thumbnail is {jpeg.Length} bytes");
    }

    [Fact]
    public void Should_decode_a_large_jpeg_file_at_reduced_scale_into_the_same_small_thumbnail()
    {
        // Given a 1000×600 JPEG file (JPEG decoders can scale by eighths while decoding)
        var path = Path.Combine(ChartsTests.OutputFolder, "large-leaf.jpg");
        File.WriteAllBytes(path, SyntheticReport.Image(1000, 600, SKColors.ForestGreen, SKEncodedImageFormat.Jpeg));

        // When a thumbnail is made from the file
        var jpeg = Thumbnail.Jpeg(path, null, 160)!;

        // Then it fits in 160 pixels, keeps the 5:3 aspect and still shows the green field with the white disc
        using var bitmap = SKBitmap.Decode(jpeg);
        Assert.Equal((160, 96), (bitmap.Width, bitmap.Height));
        Assert.True(bitmap.GetPixel(10, 10).Green > 100 && bitmap.GetPixel(10, 10).Red < 80);
        Assert.True(bitmap.GetPixel(80, 48).Red > 230);
    }

    [Fact]
    public void Should_return_nothing_for_missing_or_undecodable_images()
    {
        Assert.Null(Thumbnail.Jpeg("/nonexistent/leaf.jpg", null));
        Assert.Null(Thumbnail.Jpeg(null, [1, 2, 3]));
        Assert.Null(Thumbnail.Jpeg(null, null));
    }
}
