using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// What Holdout measures on one image, all from the single decode that also checks the file is usable: its
/// fingerprint (exact-pixel hash and perceptual hashes, for duplicates), format, displayed size and simple statistics
/// (for the data audit's split-shift checks). <see cref="Data.DatasetDiscovery"/> measures every image once; the
/// <see cref="Data.Splitter"/> and the data audit reuse it instead of decoding again.
/// </summary>
/// <param name="Fingerprint">The exact-pixel and perceptual hashes (see <see cref="PerceptualHash"/>).</param>
/// <param name="Format">The encoded format, from the content.</param>
/// <param name="Width">Width as displayed (EXIF orientation applied), from the header.</param>
/// <param name="Height">Height as displayed.</param>
/// <param name="Brightness">Mean luma (0.299 R + 0.587 G + 0.114 B), 0..255.</param>
/// <param name="Contrast">Standard deviation of the luma.</param>
/// <param name="Colourfulness">Hasler and Suesstrunk's colourfulness (0 for a grey image).</param>
/// <param name="Grayscale">True when at most 1 in 1000 sampled pixels has channels more than 3 levels apart.</param>
internal sealed record ImageProperties(
    ImageFingerprint Fingerprint,
    SKEncodedImageFormat Format,
    int Width,
    int Height,
    double Brightness,
    double Contrast,
    double Colourfulness,
    bool Grayscale)
{
    /// <summary>Width over height, as displayed.</summary>
    public double Aspect => Width / (double)Height;

    /// <summary>Width x height in millions of pixels.</summary>
    public double Megapixels => Width * (double)Height / 1e6;

    /// <summary>Measures <paramref name="path"/> or throws a <see cref="HoldoutException"/> naming the file and the reason.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxPixels">The largest width x height accepted. Defaults to <see cref="ImageLimits.MaxPixels"/>.</param>
    public static ImageProperties Measure(string path, long? maxPixels = null) =>
        TryMeasure(path, maxPixels ?? ImageLimits.MaxPixels, out var properties, out var reason)
            ? properties!
            : throw new HoldoutException($"Cannot read image '{path}': {reason?.TrimEnd('.')}. Replace or remove the file.");

    /// <summary>
    /// Opens and decodes <paramref name="path"/> once (at full size up to 16.8 megapixels, reduced to about that
    /// above, see <see cref="ImageSource"/>) and measures it; never throws for a bad file.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxPixels">The largest width x height accepted.</param>
    /// <param name="properties">The measurements when the result is true.</param>
    /// <param name="reason">Why the file cannot be used when the result is false (empty, not an image, too large,
    /// truncated, undecodable, I/O error).</param>
    public static bool TryMeasure(string path, long maxPixels, out ImageProperties? properties, out string? reason)
    {
        properties = null;
        if (!ImageSource.TryOpen(path, maxPixels, out var source, out reason))
        {
            return false;
        }
        using (source)
        {
            if (!source!.TryDecode(source.AnalysisScale, out var bitmap, out reason))
            {
                return false;
            }
            using (bitmap)
            {
                try
                {
                    var fingerprint = PerceptualHash.Fingerprint(path, bitmap!);
                    var (brightness, contrast, colourfulness, grayscale) = Statistics(bitmap!);
                    properties = new ImageProperties(fingerprint, source.Format, source.Width, source.Height, brightness, contrast, colourfulness, grayscale);
                    return true;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    reason = $"undecodable: {e.Message.TrimEnd('.')}";
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Mean luma (0..255), luma standard deviation (contrast), Hasler-Suesstrunk colourfulness, and whether every
    /// sampled pixel is grey (channels within 3 levels), on every second pixel of every second row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double, double, double, bool) Statistics(SKBitmap bitmap)
    {
        var pixels = (byte*)bitmap.GetPixels();
        double sum = 0, sumSquares = 0, rgSum = 0, rgSquares = 0, ybSum = 0, ybSquares = 0;
        long count = 0, colouredPixels = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            var row = pixels + (long)y * bitmap.RowBytes;
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                int r = row[4 * x], g = row[4 * x + 1], b = row[4 * x + 2];
                var luma = 0.299 * r + 0.587 * g + 0.114 * b;
                sum += luma;
                sumSquares += luma * luma;
                double rg = r - g, yb = 0.5 * (r + g) - b;
                rgSum += rg;
                rgSquares += rg * rg;
                ybSum += yb;
                ybSquares += yb * yb;
                if (Math.Max(Math.Abs(r - g), Math.Max(Math.Abs(g - b), Math.Abs(r - b))) > 3)
                {
                    colouredPixels++;
                }
                count++;
            }
        }
        var mean = sum / count;
        var contrast = Math.Sqrt(Math.Max(0, sumSquares / count - mean * mean));
        double rgMean = rgSum / count, ybMean = ybSum / count;
        var rgStd = Math.Sqrt(Math.Max(0, rgSquares / count - rgMean * rgMean));
        var ybStd = Math.Sqrt(Math.Max(0, ybSquares / count - ybMean * ybMean));
        var colourfulness = Math.Sqrt(rgStd * rgStd + ybStd * ybStd) + 0.3 * Math.Sqrt(rgMean * rgMean + ybMean * ybMean);
        return (mean, contrast, colourfulness, colouredPixels <= count / 1000);
    }

    /// <summary>True when the file name's extension names the format it holds (or has no known image extension).</summary>
    internal static bool ExtensionMatches(string path, SKEncodedImageFormat format)
    {
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        SKEncodedImageFormat? named = extension switch
        {
            ".jpg" or ".jpeg" or ".jpe" or ".jfif" => SKEncodedImageFormat.Jpeg,
            ".png" => SKEncodedImageFormat.Png,
            ".bmp" or ".dib" => SKEncodedImageFormat.Bmp,
            ".gif" => SKEncodedImageFormat.Gif,
            ".webp" => SKEncodedImageFormat.Webp,
            _ => null,
        };
        return named is null || named == format;
    }
}
