using System.Globalization;
using Holdout.Data;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Bench;

/// <summary>
/// Calibrates the near-duplicate verification: for the hash candidates (dHash and pHash within the thresholds) of a
/// dataset, the thumbnail similarities of pairs with different labels (distinct photos for sure) and with the same
/// label; and for synthetic copies (JPEG re-encodes, resizes, brightening) of the first images, the same measures
/// against their original. <c>dupes DIR [N-COPIES] [CANDIDATES.tsv] [HASH-LIMIT] [and|or]</c>: candidates have both hashes (and, the default) or
/// either hash (or) within HASH-LIMIT bits.
/// </summary>
internal static class DuplicateCalibration
{
    public static int Run(string[] args)
    {
        var dataset = DatasetDiscovery.Discover(Options.Folder(args));
        var copiesOf = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var paths = dataset.Samples.Select(s => s.Path).ToList();
        var labels = dataset.Samples.Select(s => s.Label).ToList();
        var prints = paths.AsParallel().AsOrdered().Select(PerceptualHash.Fingerprint).ToList();

        Console.WriteLine($"{paths.Count} images");
        Console.WriteLine("copies: variant, largest dHash and pHash distance | worst thumbnail correlation, mean abs difference, same with means aligned");
        var rows = new List<(string Variant, Measures M, int D, int P, string Path)>();
        foreach (var path in paths.Take(copiesOf))
        {
            using var source = ImageSource.Open(path);
            using var bitmap = source.Decode();
            var original = PerceptualHash.Fingerprint(path, bitmap);
            foreach (var (name, variant) in Variants(bitmap))
            {
                using (variant)
                {
                    var copy = PerceptualHash.Fingerprint("copy", variant);
                    rows.Add((name, Measures.Of(original.Thumbnail, copy.Thumbnail),
                        PerceptualHash.HammingDistance(original.DifferenceHash, copy.DifferenceHash),
                        PerceptualHash.HammingDistance(original.DctHash, copy.DctHash), path));
                }
            }
        }
        foreach (var g in rows.GroupBy(r => r.Variant))
        {
            Console.WriteLine($"  {g.Key,-22} d<={g.Max(r => r.D),2} p<={g.Max(r => r.P),2} | r>={g.Min(r => r.M.Correlation):F3} mad<={g.Max(r => r.M.Mad):F1} madc<={g.Max(r => r.M.MadCentred):F1} worst {g.MinBy(r => r.M.Correlation).Path}");
        }

        var limit = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
        var either = args.Length > 4 && args[4] == "or";
        var candidates = new List<(int I, int J, int D, int P, Measures M)>();
        for (var i = 0; i < prints.Count; i++)
        {
            for (var j = i + 1; j < prints.Count; j++)
            {
                var d = PerceptualHash.HammingDistance(prints[i].DifferenceHash, prints[j].DifferenceHash);
                var p = PerceptualHash.HammingDistance(prints[i].DctHash, prints[j].DctHash);
                if (either ? d <= limit || p <= limit : d <= limit && p <= limit)
                {
                    candidates.Add((i, j, d, p, Measures.Of(prints[i].Thumbnail, prints[j].Thumbnail)));
                }
            }
        }
        Console.WriteLine($"hash candidates (d {(either ? "or" : "and")} p <= {limit}): {candidates.Count} pairs, {candidates.Count(c => labels[c.I] != labels[c.J])} across labels");
        foreach (var sameLabel in new[] { false, true })
        {
            var set = candidates.Where(c => (labels[c.I] == labels[c.J]) == sameLabel).ToList();
            if (set.Count == 0)
            {
                continue;
            }
            Console.WriteLine($"  {(sameLabel ? "same label" : "different labels")}: {set.Count}");
            foreach (var q in new[] { 0.5, 0.9, 0.99, 1.0 })
            {
                var k = Math.Min(set.Count - 1, (int)(q * (set.Count - 1)));
                Console.WriteLine($"    quantile {q}: r {set.Select(c => c.M.Correlation).Order().ElementAt(k):F3} mad {set.Select(c => c.M.Mad).OrderDescending().ElementAt(k):F1} madc {set.Select(c => c.M.MadCentred).OrderDescending().ElementAt(k):F1}");
            }
            foreach (var c in set.OrderByDescending(c => c.M.Correlation).Take(sameLabel ? 25 : 8))
            {
                Console.WriteLine($"      r {c.M.Correlation:F3} mad {c.M.Mad:F1} madc {c.M.MadCentred:F1} d={c.D} p={c.P} {paths[c.I]} {paths[c.J]}");
            }
        }
        if (args.Length > 2)
        {
            File.WriteAllLines(args[2], candidates.Select(c => string.Join('\t', paths[c.I], paths[c.J], labels[c.I], labels[c.J], c.D, c.P,
                c.M.Correlation.ToString("F4", CultureInfo.InvariantCulture), c.M.Mad.ToString("F2", CultureInfo.InvariantCulture),
                c.M.MadCentred.ToString("F2", CultureInfo.InvariantCulture))));
        }
        return 0;
    }

    private static IEnumerable<(string, SKBitmap)> Variants(SKBitmap bitmap)
    {
        foreach (var quality in new[] { 50, 75, 95 })
        {
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
            yield return ($"jpeg q{quality}", DecodeRgba(data));
        }
        foreach (var factor in new[] { 0.5, 0.8, 1.5 })
        {
            yield return ($"resize {factor}", Resize(bitmap, factor));
        }
        foreach (var margin in new[] { 0.02, 0.05 })
        {
            int dx = (int)Math.Round(bitmap.Width * margin), dy = (int)Math.Round(bitmap.Height * margin);
            var cropped = new SKBitmap(new SKImageInfo(bitmap.Width - 2 * dx, bitmap.Height - 2 * dy, SKColorType.Rgba8888, SKAlphaType.Opaque));
            bitmap.ExtractSubset(cropped, new SKRectI(dx, dy, bitmap.Width - dx, bitmap.Height - dy));
            yield return ($"crop {margin} each side", cropped.Copy());
        }
        yield return ("brighten +15", Brighten(bitmap, 1.0, 15));
        yield return ("brighten x1.1", Brighten(bitmap, 1.1, 0));
        using (var small = Resize(bitmap, 0.8))
        using (var bright = Brighten(small, 1.05, 8))
        using (var data = bright.Encode(SKEncodedImageFormat.Jpeg, 70))
        {
            yield return ("0.8x +bright q70", DecodeRgba(data));
        }
    }

    /// <summary>Decoded as RGBA 8888, the byte order <see cref="PerceptualHash"/> reads (the platform default may be BGRA).</summary>
    private static SKBitmap DecodeRgba(SKData data)
    {
        using var decoded = SKBitmap.Decode(data);
        return decoded.Copy(SKColorType.Rgba8888);
    }

    private static SKBitmap Resize(SKBitmap bitmap, double factor)
    {
        var info = new SKImageInfo((int)Math.Round(bitmap.Width * factor), (int)Math.Round(bitmap.Height * factor), SKColorType.Rgba8888, SKAlphaType.Opaque);
        return bitmap.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }

    private static SKBitmap Brighten(SKBitmap bitmap, double gain, int offset)
    {
        var copy = bitmap.Copy(SKColorType.Rgba8888);
        var bytes = copy.GetPixelSpan();
        var pixels = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(bytes), bytes.Length);
        for (var i = 0; i < pixels.Length; i++)
        {
            if (i % 4 != 3)
            {
                pixels[i] = (byte)Math.Clamp(Math.Round(pixels[i] * gain + offset), 0, 255);
            }
        }
        return copy;
    }

    /// <summary>Thumbnail similarities: the correlation the finder uses, and mean absolute differences (raw and with the means aligned), in grey levels.</summary>
    private readonly record struct Measures(double Correlation, double Mad, double MadCentred)
    {
        public static Measures Of(byte[] a, byte[] b)
        {
            var shift = b.Average(v => (double)v) - a.Average(v => (double)v);
            return new Measures(PerceptualHash.ThumbnailCorrelation(a, b), a.Zip(b).Average(p => Math.Abs(p.First - p.Second)),
                a.Zip(b).Average(p => Math.Abs(p.First + shift - p.Second)));
        }
    }
}
