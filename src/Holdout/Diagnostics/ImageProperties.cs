using System.Runtime.CompilerServices;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Diagnostics;

/// <summary>What the data audit measures on one image, from one decode: its fingerprint and simple statistics.</summary>
internal sealed record ImageProperties(
    ImageFingerprint Fingerprint,
    SKEncodedImageFormat Format,
    double Brightness,
    double Contrast,
    double Colourfulness,
    bool Grayscale)
{
    public double Aspect => Fingerprint.Width / (double)Fingerprint.Height;

    public double Megapixels => Fingerprint.Width * (double)Fingerprint.Height / 1e6;

    /// <summary>Decodes <paramref name="path"/> once: fingerprint (as <see cref="PerceptualHash"/>) and statistics.</summary>
    public static ImageProperties Measure(string path)
    {
        using var source = ImageSource.Open(path);
        using var bitmap = source.Decode();
        var fingerprint = PerceptualHash.Fingerprint(path, bitmap);
        var (brightness, contrast, colourfulness, grayscale) = Statistics(bitmap);
        return new ImageProperties(fingerprint, source.Format, brightness, contrast, colourfulness, grayscale);
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
    public static bool ExtensionMatches(string path, SKEncodedImageFormat format)
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
