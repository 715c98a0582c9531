using Holdout.Explaining;
using Holdout.Imaging;
using Holdout.Native;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Explaining;

/// <summary>The overlay shows the image the model saw: preprocessing undone to the original 8-bit pixels, as a PNG.</summary>
[Collection(NativeCollection.Name)]
public sealed class HeatmapOverlayTests : IDisposable
{
    private readonly DisposeScope _scope;

    public HeatmapOverlayTests()
    {
        NativeRuntime.EnsureInitialized();
        _scope = NewDisposeScope();
    }

    public void Dispose() => _scope.Dispose();

    public static TheoryData<string> Preprocessings => ["torchvision", "cntk"];

    private static Preprocessing Named(string name) => name == "torchvision" ? Preprocessing.ImageNetTorchvision(24) : Preprocessing.CntkResNet(24);

    /// <summary>Random 8-bit RGB pixels (H x W x 3).</summary>
    private static byte[] RandomPixels(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    /// <summary>The model input the renderer makes of <paramref name="rgb"/>: channel c = RGB channel SourceChannels()[c] x multiply[c] + add[c].</summary>
    private static Tensor Prepare(byte[] rgb, int width, int height, Preprocessing preprocessing)
    {
        var (multiply, add) = preprocessing.ChannelAffine();
        var source = preprocessing.SourceChannels();
        var values = new float[3 * width * height];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < width * height; i++)
            {
                values[c * width * height + i] = rgb[i * 3 + source[c]] * multiply[c] + add[c];
            }
        }
        return tensor(values, [3, height, width]);
    }

    [Theory]
    [MemberData(nameof(Preprocessings))]
    public void Should_give_back_the_original_pixels_of_a_prepared_image(string name)
    {
        // Given random RGB pixels prepared as the model's preprocessing says (torchvision: RGB, 0..1, ImageNet mean/std;
        // CNTK: BGR, 0..255)
        var preprocessing = Named(name);
        var rgb = RandomPixels(24, 16, seed: 1);
        var prepared = Prepare(rgb, 24, 16, preprocessing);

        // When the overlay turns the prepared image back into pixels
        var pixels = HeatmapOverlay.Pixels(prepared, preprocessing);

        // Then every value is within one level of the original, in RGB order
        Assert.Equal(rgb.Length, pixels.Length);
        var worst = rgb.Zip(pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1, $"{name}: a pixel is {worst} levels off");
    }

    [Fact]
    public void Should_encode_a_png_of_the_images_size_coloured_where_the_heat_is()
    {
        // Given a grey 40 x 30 image and a 2 x 2 heatmap hot only top-left
        var rgb = Enumerable.Repeat((byte)128, 40 * 30 * 3).ToArray();
        var heatmap = Heatmap.Normalised(2, 2, [1f, 0f, 0f, 0f]);

        // When it is drawn as a PNG
        var png = HeatmapOverlay.Png(rgb, 40, 30, heatmap);

        // Then SkiaSharp decodes a 40 x 30 image whose top-left is red-ish and bottom-right blue-ish
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((40, 30), (bitmap.Width, bitmap.Height));
        var hot = bitmap.GetPixel(0, 0);
        var cold = bitmap.GetPixel(39, 29);
        Assert.True(hot.Red > hot.Blue && hot.Red > 128, $"the hot corner is {hot}");
        Assert.True(cold.Blue > cold.Red, $"the cold corner is {cold}");
        Assert.Throws<ArgumentException>(() => HeatmapOverlay.Png(rgb.AsSpan(1), 40, 30, heatmap));
    }

    [Fact]
    public void Should_draw_a_prepared_tensor_at_its_own_size()
    {
        // Given a prepared 3 x 16 x 24 image
        var preprocessing = Named("cntk");
        var prepared = Prepare(RandomPixels(24, 16, seed: 2), 24, 16, preprocessing);

        // When it is drawn with a heatmap, then the PNG is 24 x 16
        using var bitmap = SKBitmap.Decode(HeatmapOverlay.Png(prepared, preprocessing, Heatmap.Normalised(3, 3, Enumerable.Repeat(1f, 9).ToArray())));
        Assert.Equal((24, 16), (bitmap.Width, bitmap.Height));
    }
}
