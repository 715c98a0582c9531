using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Tests.Imaging;

public sealed class RegionDecodeTests
{
    /// <summary>A picture with pixel noise over its shapes, so any difference in decoding shows in the bytes.</summary>
    private static byte[] NoisyJpeg(int seed, int width, int height)
    {
        using var picture = TestImages.Picture(seed, width, height);
        var random = new Random(seed);
        for (var y = 0; y < height; y += 3)
        {
            for (var x = 0; x < width; x += 3)
            {
                var c = picture.GetPixel(x, y);
                picture.SetPixel(x, y, new SKColor((byte)(c.Red ^ random.Next(64)), (byte)(c.Green ^ random.Next(64)), (byte)(c.Blue ^ random.Next(64))));
            }
        }
        return TestImages.Encode(picture, SKEncodedImageFormat.Jpeg, 90);
    }

    [Fact]
    public void Should_decode_a_jpeg_region_to_the_whole_decodes_pixels_inside_its_outermost_columns()
    {
        // Given a 4:2:0 JPEG and its whole decode at full and at 5/8 size
        var bytes = NoisyJpeg(3, 333, 250);
        Assert.True(ImageSource.TryOpen("memory", bytes, out var source, out var reason), reason);
        using (source)
        using (var buffer = new PixelBuffer())
        {
            Assert.True(source!.SupportsRegionDecode);
            foreach (var scale in new[] { 1.0, 0.6 })
            {
                var size = source.DecodeSizeFor(scale);
                using var whole = source.Decode(scale);
                Assert.Equal(size, new SKSizeI(whole.Width, whole.Height));
                foreach (var region in new[] { new SKRectI(37, 21, 150, 140), new SKRectI(0, 0, 64, 32), new SKRectI(101, 50, size.Width, size.Height) })
                {
                    // When only a region is decoded
                    Assert.True(source.TryDecodeRegion(size, region, buffer, out var part, out var decoded));
                    using (part)
                    {
                        Assert.Equal(SKRectI.Intersect(region, new SKRectI(0, 0, size.Width, size.Height)), decoded);
                        Assert.Equal(decoded.Width, part!.Width);
                        Assert.Equal(decoded.Height, part.Height);

                        // Then every pixel but those of its outermost columns equals the whole decode's
                        for (var y = 0; y < part.Height; y++)
                        {
                            for (var x = 1; x < part.Width - 1; x++)
                            {
                                Assert.Equal(whole.GetPixel(decoded.Left + x, decoded.Top + y), part.GetPixel(x, y));
                            }
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Should_render_training_crops_and_evaluation_images_exactly_as_from_the_whole_decode()
    {
        // Given upright JPEGs of several sizes, and renderers with and without region decoding
        using var folder = new TempFolder();
        var files = new[] { (401, 299), (240, 320), (96, 80), (640, 480) }
            .Select((s, i) => folder.Write($"{i}.jpg", NoisyJpeg(10 + i, s.Item1, s.Item2))).ToArray();
        var preprocessing = Preprocessing.CntkResNet(64);
        using var regional = new SampleRenderer(preprocessing);
        using var whole = new SampleRenderer(preprocessing) { RegionDecode = false };
        var a = new float[regional.Length];
        var b = new float[whole.Length];
        var presets = new[] { AugmentationOptions.TorchvisionCropAndFlip, AugmentationOptions.Light, AugmentationOptions.None };
        var renders = 0;
        foreach (var file in files)
        {
            foreach (var options in presets)
            {
                for (var epoch = 0; epoch < 12; epoch++)
                {
                    // When each renders the same random crop (or the evaluation transform)
                    Func<int, int, AugmentationParameters>? draw = options.IsEnabled
                        ? (w, h) => Augmentation.Draw(options, 7, epoch, 0, w, h)
                        : null;
                    regional.Render(file, draw, a);
                    whole.Render(file, draw, b);
                    renders++;

                    // Then the model input is identical, float for float
                    Assert.True(a.AsSpan().SequenceEqual(b), $"{Path.GetFileName(file)}, epoch {epoch}: region decode differs");
                }
            }
        }

        // And the region path really ran for every image (all are upright JPEGs without rotation)
        Assert.Equal(renders, regional.RegionDecodes);
        Assert.Equal(0, whole.RegionDecodes);
    }

    [Fact]
    public void Should_decode_whole_when_the_jpeg_is_rotated_by_exif_or_the_crop_is_rotated()
    {
        // Given a JPEG stored sideways (EXIF orientation 6) and an upright one rendered with rotation
        using var folder = new TempFolder();
        var sideways = folder.Write("sideways.jpg", TestImages.WithExifOrientation(NoisyJpeg(5, 120, 90), 6));
        var upright = folder.Write("upright.jpg", NoisyJpeg(6, 120, 90));
        using var renderer = new SampleRenderer(Preprocessing.CntkResNet(32));
        var output = new float[renderer.Length];

        // When both are rendered
        renderer.Render(sideways, null, output);
        renderer.Render(upright, (w, h) => Augmentation.Draw(new AugmentationOptions(RotationDegrees: 20), 1, 0, 0, w, h), output);

        // Then neither took the region path (its coordinates would not be the displayed ones)
        Assert.Equal(0, renderer.RegionDecodes);
    }
}
