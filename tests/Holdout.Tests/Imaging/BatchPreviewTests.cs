using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Tests.Imaging;

public sealed class BatchPreviewTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_turn_the_model_input_back_into_the_original_pixels(bool cntk)
    {
        // Given a uniform RGB (200, 100, 50) image prepared for a BGR 0..255 or an RGB 0..1 model
        using var folder = new TempFolder();
        var path = folder.Write("flat.png", TestImages.RawPng(20, 20, 2, 8, (_, _) => [200, 100, 50]));
        var preprocessing = cntk ? Preprocessing.CntkResNet(8) : Preprocessing.ImageNetTorchvision(8);
        var input = ModelInput.FromFile(path, preprocessing);

        // When it is de-normalised
        using var bitmap = BatchPreview.ToBitmap(input, preprocessing);

        // Then the pixels are the original colour in RGB
        Assert.Equal(new SKColor(200, 100, 50), bitmap.GetPixel(3, 3));
    }

    [Fact]
    public void Should_render_a_grid_with_a_caption_under_each_image()
    {
        // Given three black 32x32 model inputs (RGB 0..1, mean 0, std 1)
        var preprocessing = new Preprocessing(32, ColorOrder.Rgb, ValueScale.UnitInterval, [0f, 0f, 0f], [1f, 1f, 1f]);
        var images = new float[3 * 3 * 32 * 32];

        // When they are rendered two per row with captions
        var png = BatchPreview.RenderGrid(images, ["cat", "dog", "healthy_leaf"], preprocessing, columns: 2);

        // Then the PNG holds a 2x2 grid and white caption text was drawn under the first image
        using var grid = SKBitmap.Decode(png);
        Assert.Equal(6 + 2 * (32 + 6), grid.Width);
        var captionTop = 6 + 32;
        var bright = 0;
        for (var y = captionTop; y < captionTop + 16; y++)
        {
            for (var x = 6; x < 6 + 32; x++)
            {
                if (grid.GetPixel(x, y).Red > 128)
                {
                    bright++;
                }
            }
        }
        Assert.True(bright > 5, $"only {bright} bright caption pixels: no text was drawn");
    }
}
