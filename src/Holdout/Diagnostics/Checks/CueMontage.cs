using Holdout.Explaining;
using Holdout.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// The picture a shortcut-cue finding attaches: for each example, the image as the model saw it and the same image
/// under its Grad-CAM heatmap, side by side, with the suspected region outlined in both.
/// </summary>
internal static class CueMontage
{
    private const int Tile = 160;
    private const int Gap = 6;

    /// <summary>Writes the montage as PNG, atomically, creating the folder.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="examples">Prepared images (3 x S x S) and their heatmaps.</param>
    /// <param name="preprocessing">How the images were prepared.</param>
    /// <param name="region">The suspected region, outlined.</param>
    public static void Write(string path, IReadOnlyList<(Tensor Image, Heatmap Heatmap)> examples, Preprocessing preprocessing, CueRegion region)
    {
        const int pairs = 2;
        var rows = (examples.Count + pairs - 1) / pairs;
        var width = pairs * (2 * Tile + 3 * Gap);
        var height = Math.Max(1, rows) * (Tile + Gap) + Gap;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var outline = new SKPaint { Color = SKColors.Magenta, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
        for (var n = 0; n < examples.Count; n++)
        {
            var (row, pair) = (n / pairs, n % pairs);
            var (image, heatmap) = examples[n];
            var size = (int)image.shape[2];
            var pixels = HeatmapOverlay.Pixels(image, preprocessing);
            var top = Gap + row * (Tile + Gap);
            using var plain = Decode(HeatmapOverlay.Png(pixels, size, (int)image.shape[1], Heatmap.Normalised(1, 1, [0f]), opacity: 0));
            using var heat = Decode(HeatmapOverlay.Png(pixels, size, (int)image.shape[1], heatmap));
            for (var column = 0; column < 2; column++)
            {
                var left = pair * (2 * Tile + 3 * Gap) + Gap + column * (Tile + Gap);
                canvas.DrawImage(column == 0 ? plain : heat, new SKRect(left, top, left + Tile, top + Tile), sampling);
                var box = region.Box;
                var rect = new SKRect(left + (float)box.Left * Tile, top + (float)box.Top * Tile, left + (float)box.Right * Tile, top + (float)box.Bottom * Tile);
                canvas.DrawRect(rect, outline);
                if (region.Frame) canvas.DrawRect(new SKRect(left, top, left + Tile, top + Tile), outline);
            }
        }
        using var snapshot = surface.Snapshot();
        using var encoded = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllBytes(path, encoded.AsSpan());
    }

    private static SKImage Decode(byte[] png) => SKImage.FromEncodedData(png);
}
