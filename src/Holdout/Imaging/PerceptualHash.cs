using System.Numerics;
using System.Security.Cryptography;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// Perceptual hashes that survive re-encoding and resizing, for finding the same photo twice in a dataset.
/// <list type="bullet">
/// <item><b>dHash</b>: the grey image box-averaged to 9x8; bit = (pixel &lt; right neighbour), 64 bits.</item>
/// <item><b>pHash</b>: the grey image box-averaged to 32x32, 2-D DCT-II; the 8x8 lowest frequencies compared with
/// the median of the 63 non-DC ones, 64 bits.</item>
/// <item><b>Thumbnail</b>: that 32x32 grid averaged 2x2 to 16x16 grey bytes, compared by correlation
/// (<see cref="ThumbnailCorrelation"/>) to confirm the pairs the hashes propose.</item>
/// </list>
/// Grey = 0.299 R + 0.587 G + 0.114 B. Two images are near-duplicates when a Hamming distance is within the
/// thresholds of <see cref="Holdout.Data.DuplicateOptions"/> and their thumbnails correlate at least as much as it
/// asks: 64-bit hashes alone are too coarse for low-detail photos on a plain background, where distinct shots of
/// similar shapes collide.
/// </summary>
internal static class PerceptualHash
{
    /// <summary>Side of the grey thumbnail kept in the fingerprint to verify near-duplicate candidates.</summary>
    public const int ThumbnailSize = 16;

    private const int DctSize = 32;
    private static readonly double[,] DctCosines = BuildCosines();

    /// <summary>
    /// Decodes <paramref name="path"/> (at full size up to 16.8 megapixels, reduced to about that above, as
    /// <see cref="ImageProperties"/> does) and computes its fingerprint.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="HoldoutException">The file cannot be read.</exception>
    public static ImageFingerprint Fingerprint(string path)
    {
        using var source = ImageSource.Open(path);
        using var bitmap = source.Decode(source.AnalysisScale);
        return Fingerprint(path, bitmap);
    }

    /// <summary>Computes the fingerprint of an already decoded, opaque RGBA 8888 bitmap.</summary>
    /// <param name="path">The name to record.</param>
    /// <param name="bitmap">The decoded image (as returned by <see cref="ImageSource.Decode"/>).</param>
    public static unsafe ImageFingerprint Fingerprint(string path, SKBitmap bitmap)
    {
        int width = bitmap.Width, height = bitmap.Height, rowBytes = bitmap.RowBytes;
        var pixels = (byte*)bitmap.GetPixels();
        var dct = new double[DctSize * DctSize];
        var dctCount = new int[DctSize * DctSize];
        var diff = new double[9 * 8];
        var diffCount = new int[9 * 8];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[8];
        BitConverter.TryWriteBytes(header[..4], width);
        BitConverter.TryWriteBytes(header[4..], height);
        sha.AppendData(header);
        var rgb = new byte[width * 3];
        var dctColumn = new int[width];
        var diffColumn = new int[width];
        for (var x = 0; x < width; x++)
        {
            dctColumn[x] = (int)((long)x * DctSize / width);
            diffColumn[x] = (int)((long)x * 9 / width);
        }
        for (var y = 0; y < height; y++)
        {
            var row = pixels + (long)y * rowBytes;
            var dctRow = (int)((long)y * DctSize / height) * DctSize;
            var diffRow = (int)((long)y * 8 / height) * 9;
            for (var x = 0; x < width; x++)
            {
                byte r = row[4 * x], g = row[4 * x + 1], b = row[4 * x + 2];
                rgb[3 * x] = r;
                rgb[3 * x + 1] = g;
                rgb[3 * x + 2] = b;
                var grey = 0.299 * r + 0.587 * g + 0.114 * b;
                dct[dctRow + dctColumn[x]] += grey;
                dctCount[dctRow + dctColumn[x]]++;
                diff[diffRow + diffColumn[x]] += grey;
                diffCount[diffRow + diffColumn[x]]++;
            }
            sha.AppendData(rgb);
        }
        FillEmptyCells(dct, dctCount, DctSize, DctSize, bitmap);
        FillEmptyCells(diff, diffCount, 9, 8, bitmap);
        return new ImageFingerprint(path, width, height, Convert.ToHexStringLower(sha.GetHashAndReset()),
            DifferenceBits(diff), DctBits(dct), Thumbnail(dct));
    }

    /// <summary>Number of differing bits between two 64-bit hashes.</summary>
    /// <param name="a">One hash.</param>
    /// <param name="b">The other.</param>
    public static int HammingDistance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    /// <summary>
    /// Pearson correlation of two grey thumbnails (<see cref="ImageFingerprint.Thumbnail"/>), -1..1: 1 when one is a
    /// brightness and contrast change of the other, which re-encoding, resizing and slight brightening stay close to.
    /// A flat thumbnail (standard deviation under one grey level) has no pattern to correlate: two flat ones whose
    /// means are within 16 levels count as 1, a flat one against any other as 0.
    /// </summary>
    /// <param name="a">One thumbnail.</param>
    /// <param name="b">The other, of the same size.</param>
    public static double ThumbnailCorrelation(byte[] a, byte[] b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException($"Thumbnails of {a.Length} and {b.Length} cells cannot be compared.", nameof(b));
        }
        long sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (var i = 0; i < a.Length; i++)
        {
            int x = a[i], y = b[i];
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
        }
        long n = a.Length;
        // n^2 times the variances and the covariance, exact in integers.
        double va = n * saa - sa * sa, vb = n * sbb - sb * sb, cov = n * sab - sa * sb;
        var flat = (double)n * n;
        if (va < flat || vb < flat)
        {
            return va < flat && vb < flat && Math.Abs(sa - sb) <= 16 * n ? 1 : 0;
        }
        return cov / Math.Sqrt(va * vb);
    }

    /// <summary>Turns sums into means; cells no pixel fell into (images smaller than the grid) take the nearest pixel.</summary>
    private static unsafe void FillEmptyCells(double[] sums, int[] counts, int columns, int rows, SKBitmap bitmap)
    {
        var pixels = (byte*)bitmap.GetPixels();
        for (var cell = 0; cell < sums.Length; cell++)
        {
            if (counts[cell] > 0)
            {
                sums[cell] /= counts[cell];
                continue;
            }
            var x = Math.Min(bitmap.Width - 1, (int)((cell % columns + 0.5) * bitmap.Width / columns));
            var y = Math.Min(bitmap.Height - 1, (int)((cell / columns + 0.5) * bitmap.Height / rows));
            var p = pixels + (long)y * bitmap.RowBytes + 4 * x;
            sums[cell] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        }
    }

    /// <summary>The 32x32 grey box averages reduced to <see cref="ThumbnailSize"/> squared, rounded to bytes.</summary>
    private static byte[] Thumbnail(double[] grid)
    {
        const int factor = DctSize / ThumbnailSize;
        var thumbnail = new byte[ThumbnailSize * ThumbnailSize];
        for (var y = 0; y < ThumbnailSize; y++)
        {
            for (var x = 0; x < ThumbnailSize; x++)
            {
                double sum = 0;
                for (var dy = 0; dy < factor; dy++)
                {
                    for (var dx = 0; dx < factor; dx++)
                    {
                        sum += grid[(y * factor + dy) * DctSize + x * factor + dx];
                    }
                }
                thumbnail[y * ThumbnailSize + x] = (byte)Math.Clamp(Math.Round(sum / (factor * factor)), 0, 255);
            }
        }
        return thumbnail;
    }

    private static ulong DifferenceBits(double[] grid)
    {
        ulong bits = 0;
        var bit = 0;
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++, bit++)
            {
                if (grid[y * 9 + x] < grid[y * 9 + x + 1])
                {
                    bits |= 1UL << bit;
                }
            }
        }
        return bits;
    }

    private static ulong DctBits(double[] grid)
    {
        // Separable DCT-II, only the 8 lowest frequencies in each direction are needed.
        var rowsTransformed = new double[DctSize * 8];
        for (var y = 0; y < DctSize; y++)
        {
            for (var u = 0; u < 8; u++)
            {
                double sum = 0;
                for (var x = 0; x < DctSize; x++)
                {
                    sum += grid[y * DctSize + x] * DctCosines[u, x];
                }
                rowsTransformed[y * 8 + u] = sum;
            }
        }
        var low = new double[64];
        for (var v = 0; v < 8; v++)
        {
            for (var u = 0; u < 8; u++)
            {
                double sum = 0;
                for (var y = 0; y < DctSize; y++)
                {
                    sum += rowsTransformed[y * 8 + u] * DctCosines[v, y];
                }
                low[v * 8 + u] = sum;
            }
        }
        var ac = low.Skip(1).Order().ToArray();
        var median = ac[ac.Length / 2];
        ulong bits = 0;
        for (var i = 0; i < 64; i++)
        {
            if (low[i] > median)
            {
                bits |= 1UL << i;
            }
        }
        return bits;
    }

    private static double[,] BuildCosines()
    {
        var cosines = new double[8, DctSize];
        for (var u = 0; u < 8; u++)
        {
            for (var x = 0; x < DctSize; x++)
            {
                cosines[u, x] = Math.Cos((2 * x + 1) * u * Math.PI / (2 * DctSize));
            }
        }
        return cosines;
    }
}
