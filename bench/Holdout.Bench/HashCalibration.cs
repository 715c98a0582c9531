using Holdout.Data;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Bench;

/// <summary>
/// Calibrates the near-duplicate thresholds: for every image of a folder, the dHash/pHash distances to its own JPEG
/// q75 re-encode and 0.8x resize (must be small), and the smallest distances between distinct images (must be large).
/// </summary>
internal static class HashCalibration
{
    public static int Run(string[] args)
    {
        var dataset = DatasetDiscovery.Discover(Options.Folder(args));
        var paths = dataset.Samples.Select(s => s.Path).ToList();
        var prints = paths.AsParallel().AsOrdered().Select(PerceptualHash.Fingerprint).ToList();
        int maxCopyD = 0, maxCopyP = 0;
        var copyHistogram = new int[65];
        foreach (var path in paths.Take(200))
        {
            using var source = ImageSource.Open(path);
            using var bitmap = source.Decode();
            var original = PerceptualHash.Fingerprint(path, bitmap);
            foreach (var variant in Variants(bitmap))
            {
                using (variant)
                {
                    var copy = PerceptualHash.Fingerprint("copy", variant);
                    var d = PerceptualHash.HammingDistance(original.DifferenceHash, copy.DifferenceHash);
                    var p = PerceptualHash.HammingDistance(original.DctHash, copy.DctHash);
                    maxCopyD = Math.Max(maxCopyD, d);
                    maxCopyP = Math.Max(maxCopyP, p);
                    copyHistogram[Math.Max(d, p)]++;
                }
            }
        }
        Console.WriteLine($"copies (q75 re-encode, 0.8x resize) of {Math.Min(200, paths.Count)} images: max dHash {maxCopyD}, max pHash {maxCopyP}");
        Console.WriteLine("  max(d,p) histogram: " + string.Join(" ", copyHistogram.Select((c, i) => (c, i)).Where(x => x.c > 0).Select(x => $"{x.i}:{x.c}")));
        var distinct = new int[129];
        int minD = 64, minP = 64;
        var closest = new List<(int, int, int, int)>();
        for (var i = 0; i < prints.Count; i++)
        {
            for (var j = i + 1; j < prints.Count; j++)
            {
                var d = PerceptualHash.HammingDistance(prints[i].DifferenceHash, prints[j].DifferenceHash);
                var p = PerceptualHash.HammingDistance(prints[i].DctHash, prints[j].DctHash);
                minD = Math.Min(minD, d);
                minP = Math.Min(minP, p);
                distinct[Math.Max(d, p)]++;
                if (Math.Max(d, p) <= 16)
                {
                    closest.Add((i, j, d, p));
                }
            }
        }
        Console.WriteLine($"distinct pairs among {prints.Count} images: min dHash {minD}, min pHash {minP}");
        Console.WriteLine("  max(d,p) histogram (<=20): " + string.Join(" ", distinct.Select((c, i) => (c, i)).Where(x => x.c > 0 && x.i <= 20).Select(x => $"{x.i}:{x.c}")));
        foreach (var (i, j, d, p) in closest.OrderBy(c => Math.Max(c.Item3, c.Item4)).Take(15))
        {
            Console.WriteLine($"  d={d} p={p} {paths[i]} {paths[j]} same-pixels={prints[i].PixelHash == prints[j].PixelHash}");
        }
        return 0;
    }

    private static IEnumerable<SKBitmap> Variants(SKBitmap bitmap)
    {
        using (var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 75))
        using (var decoded = SKBitmap.Decode(data))
        {
            // PerceptualHash reads RGBA bytes; the platform's default decode may be BGRA, which would swap red and blue.
            yield return decoded.Copy(SKColorType.Rgba8888);
        }
        var info = new SKImageInfo((int)(bitmap.Width * 0.8), (int)(bitmap.Height * 0.8), SKColorType.Rgba8888, SKAlphaType.Opaque);
        yield return bitmap.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }
}
