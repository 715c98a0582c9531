using Holdout.Imaging;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Explaining;

/// <summary>
/// Draws a <see cref="Heatmap"/> over the image the model saw: the prepared input turned back into 8-bit RGB (the
/// preprocessing's mean and std undone), blended with the heatmap in a perceptual colour scale (dark blue for none,
/// through green and yellow, to red for the peak) where the heat is, and encoded as PNG.
/// </summary>
public static class HeatmapOverlay
{
    /// <summary>8-bit RGB pixels (H x W x 3, row-major) of one prepared image.</summary>
    /// <param name="image">3 x H x W, prepared as <paramref name="preprocessing"/> says.</param>
    /// <param name="preprocessing">How it was prepared.</param>
    public static byte[] Pixels(Tensor image, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(preprocessing);
        using var scope = NewDisposeScope();
        var mean = tensor(preprocessing.Mean).reshape(3, 1, 1);
        var std = tensor(preprocessing.Std).reshape(3, 1, 1);
        var values = image.detach().cpu().to_type(ScalarType.Float32) * std + mean;
        if (preprocessing.Scale == ValueScale.UnitInterval) values *= 255;
        // model channel c holds RGB channel SourceChannels()[c]; put them back in RGB order
        var order = preprocessing.SourceChannels();
        var rgb = stack(Enumerable.Range(0, 3).Select(c => values[Array.IndexOf(order, c)]).ToArray(), 2);
        return rgb.round().clamp(0, 255).to_type(ScalarType.Byte).contiguous().data<byte>().ToArray();
    }

    /// <summary>The overlay as PNG bytes.</summary>
    /// <param name="rgb">H x W x 3 8-bit RGB pixels.</param>
    /// <param name="width">W.</param>
    /// <param name="height">H.</param>
    /// <param name="heatmap">The heatmap to draw, stretched over the whole image.</param>
    /// <param name="opacity">The colour's weight where the heat peaks (it fades with the heat), 0..1.</param>
    public static byte[] Png(ReadOnlySpan<byte> rgb, int width, int height, Heatmap heatmap, double opacity = 0.6)
    {
        ArgumentNullException.ThrowIfNull(heatmap);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"A {width} x {height} RGB image needs {width * height * 3} bytes, not {rgb.Length}.", nameof(rgb));
        }
        var heat = heatmap.Resize(width, height);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[width * height * 4];
        for (var i = 0; i < width * height; i++)
        {
            var (r, g, b) = Colour(heat[i]);
            var a = opacity * (0.35 + 0.65 * heat[i]);
            pixels[i * 4] = Blend(rgb[i * 3], r, a);
            pixels[i * 4 + 1] = Blend(rgb[i * 3 + 1], g, a);
            pixels[i * 4 + 2] = Blend(rgb[i * 3 + 2], b, a);
            pixels[i * 4 + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    /// <summary>The overlay of one prepared image as PNG bytes (<see cref="Pixels"/>, then drawn as above).</summary>
    /// <param name="image">3 x H x W, prepared as <paramref name="preprocessing"/> says.</param>
    /// <param name="preprocessing">How it was prepared.</param>
    /// <param name="heatmap">The heatmap.</param>
    /// <param name="opacity">The colour's weight at the peak, 0..1.</param>
    public static byte[] Png(Tensor image, Preprocessing preprocessing, Heatmap heatmap, double opacity = 0.6)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Png(Pixels(image, preprocessing), (int)image.shape[2], (int)image.shape[1], heatmap, opacity);
    }

    private static byte Blend(byte under, byte over, double weight) => (byte)Math.Round(under * (1 - weight) + over * weight);

    /// <summary>A blue-green-yellow-red scale (close to matplotlib's "turbo") for a value in 0..1.</summary>
    private static (byte R, byte G, byte B) Colour(float value)
    {
        ReadOnlySpan<float> stops = [0f, 0.25f, 0.5f, 0.75f, 1f];
        ReadOnlySpan<byte> r = [48, 26, 164, 250, 180];
        ReadOnlySpan<byte> g = [18, 190, 252, 150, 4];
        ReadOnlySpan<byte> b = [59, 227, 60, 30, 3];
        var v = Math.Clamp(value, 0f, 1f);
        var k = Math.Min(3, (int)(v * 4));
        var t = (v - stops[k]) / (stops[k + 1] - stops[k]);
        byte Mix(ReadOnlySpan<byte> c) => (byte)Math.Round(c[k] + (c[k + 1] - c[k]) * t);
        return (Mix(r), Mix(g), Mix(b));
    }
}
