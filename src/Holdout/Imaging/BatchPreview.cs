using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// "What the model sees": turns the exact normalised tensors of a batch back into pixels (the inverse of the
/// <see cref="Preprocessing"/>: x * std + mean, back to 0..255, channels back to RGB) and lays them out in a grid PNG
/// with their labels. Used by <c>holdout preview</c> and the HTML report. Text uses the bundled DejaVu Sans, so it
/// renders on machines without fonts.
/// </summary>
internal static class BatchPreview
{
    private static readonly Lazy<SKTypeface> Font = new(LoadFont);

    /// <summary>De-normalises one image (3 x size x size floats, channel-major) into an opaque RGBA 8888 bitmap; dispose it.</summary>
    /// <param name="image">The model input of one sample.</param>
    /// <param name="preprocessing">The preprocessing it was normalised with.</param>
    public static unsafe SKBitmap ToBitmap(ReadOnlySpan<float> image, Preprocessing preprocessing)
    {
        var size = preprocessing.InputSize;
        var plane = size * size;
        if (image.Length != 3 * plane)
        {
            throw new ArgumentException($"Expected 3 x {size} x {size} = {3 * plane} values, got {image.Length}.", nameof(image));
        }
        var toByte = preprocessing.Scale == ValueScale.UnitInterval ? 255f : 1f;
        // Output RGB channel k comes from model channel modelChannel[k].
        int[] modelChannel = preprocessing.ColorOrder == ColorOrder.Rgb ? [0, 1, 2] : [2, 1, 0];
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = (byte*)bitmap.GetPixels();
        for (var y = 0; y < size; y++)
        {
            var row = pixels + (long)y * bitmap.RowBytes;
            for (var x = 0; x < size; x++)
            {
                var i = y * size + x;
                for (var k = 0; k < 3; k++)
                {
                    var c = modelChannel[k];
                    var value = (image[c * plane + i] * preprocessing.Std[c] + preprocessing.Mean[c]) * toByte;
                    row[4 * x + k] = (byte)Math.Clamp(MathF.Round(value), 0f, 255f);
                }
                row[4 * x + 3] = 255;
            }
        }
        return bitmap;
    }

    /// <summary>
    /// Renders a grid of the images of a batch with one caption each, as PNG bytes.
    /// </summary>
    /// <param name="images">N x 3 x size x size normalised floats (e.g. <c>batch.Images.data&lt;float&gt;().ToArray()</c>).</param>
    /// <param name="captions">One caption per image (e.g. its class name), drawn under it.</param>
    /// <param name="preprocessing">The preprocessing the images were normalised with.</param>
    /// <param name="columns">Images per row. Defaults to 8.</param>
    public static byte[] RenderGrid(ReadOnlySpan<float> images, IReadOnlyList<string> captions, Preprocessing preprocessing, int columns = 8)
    {
        var size = preprocessing.InputSize;
        var length = 3 * size * size;
        var count = images.Length / length;
        if (count * length != images.Length || count != captions.Count)
        {
            throw new ArgumentException($"Expected {captions.Count} images of 3 x {size} x {size} values, got {images.Length} values.", nameof(images));
        }
        columns = Math.Max(1, Math.Min(columns, Math.Max(1, count)));
        var rows = Math.Max(1, (count + columns - 1) / columns);
        const int gap = 6;
        var fontSize = Math.Clamp(size / 14f, 10f, 16f);
        var captionHeight = (int)Math.Ceiling(fontSize * 1.6f);
        var cellWidth = size + gap;
        var cellHeight = size + captionHeight + gap;
        using var grid = new SKBitmap(new SKImageInfo(gap + columns * cellWidth, gap + rows * cellHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(grid))
        using (var font = new SKFont(Font.Value, fontSize))
        using (var text = new SKPaint { Color = SKColors.White, IsAntialias = true })
        {
            canvas.Clear(new SKColor(32, 32, 36));
            for (var n = 0; n < count; n++)
            {
                var left = gap + n % columns * cellWidth;
                var top = gap + n / columns * cellHeight;
                using (var bitmap = ToBitmap(images.Slice(n * length, length), preprocessing))
                {
                    canvas.DrawBitmap(bitmap, left, top);
                }
                var caption = Fit(captions[n], font, size);
                canvas.DrawText(caption, left + 2, top + size + fontSize * 1.2f, SKTextAlign.Left, font, text);
            }
        }
        using var image = SKImage.FromBitmap(grid);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static string Fit(string caption, SKFont font, float width)
    {
        if (font.MeasureText(caption) <= width - 4)
        {
            return caption;
        }
        for (var length = caption.Length - 1; length > 0; length--)
        {
            var shortened = caption[..length] + "…";
            if (font.MeasureText(shortened) <= width - 4)
            {
                return shortened;
            }
        }
        return "…";
    }

    private static SKTypeface LoadFont()
    {
        using var resource = BundledFonts.Open(BundledFonts.Regular);
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        using var data = SKData.CreateCopy(copy.ToArray());
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException("The bundled DejaVu Sans font could not be loaded.");
    }
}
