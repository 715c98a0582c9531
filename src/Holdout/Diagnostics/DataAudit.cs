using System.Globalization;
using Holdout.Data;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Diagnostics;

/// <summary>
/// The data checks of the doctor: unreadable files, extensions that lie, duplicates within and across splits,
/// conflicting labels, class imbalance, splits that differ from training, and classes too small to measure. Every
/// image is decoded once (fingerprint and statistics from the same pixels); duplicates are grouped by
/// <see cref="DuplicateFinder"/>, the same way the <see cref="Splitter"/> keeps copies together.
/// </summary>
internal static class DataAudit
{
    private static readonly string[] SplitOrder = ["train", "val", "test"];

    /// <summary>Audits the images of <paramref name="manifest"/> (the split to check) and the files the discovery skipped.</summary>
    /// <param name="manifest">Which image is in which split under which label.</param>
    /// <param name="skipped">Files the discovery left out (unreadable, outside class folders); defaults to none.</param>
    /// <param name="options">Thresholds; defaults to <see cref="DataAuditOptions"/>'s defaults.</param>
    /// <param name="cancellationToken">Stops the audit.</param>
    public static IReadOnlyList<Finding> Run(SplitManifest manifest, IReadOnlyList<SkippedFile>? skipped = null, DataAuditOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Run(manifest, skipped ?? [], null, options, cancellationToken);

    /// <summary>
    /// Audits <paramref name="manifest"/> with what the discovery of <paramref name="dataset"/> found: its skipped
    /// files, and the properties it measured (<see cref="ImageDataset.Properties"/>), so no image it measured is
    /// decoded again; images the manifest lists that it did not measure are decoded here.
    /// </summary>
    /// <param name="manifest">Which image is in which split under which label (the dataset's split or a run's split.csv).</param>
    /// <param name="dataset">The discovered dataset.</param>
    /// <param name="options">Thresholds; defaults to <see cref="DataAuditOptions"/>'s defaults.</param>
    /// <param name="cancellationToken">Stops the audit.</param>
    public static IReadOnlyList<Finding> Run(SplitManifest manifest, ImageDataset dataset, DataAuditOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Run(manifest, dataset.Skipped, dataset.Properties, options, cancellationToken);

    private static IReadOnlyList<Finding> Run(SplitManifest manifest, IReadOnlyList<SkippedFile> skipped,
        IReadOnlyDictionary<string, ImageProperties>? known, DataAuditOptions? options, CancellationToken cancellationToken)
    {
        options ??= new DataAuditOptions();
        var maxPixels = options.MaxPixels ?? ImageLimits.MaxPixels;
        var entries = manifest.Entries;
        var properties = new ImageProperties?[entries.Count];
        var failures = new string?[entries.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Workers > 0 ? options.Workers : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, entries.Count, parallel, i =>
        {
            if (known is not null && known.TryGetValue(entries[i].Path, out var measured))
            {
                properties[i] = measured;
            }
            else if (!ImageProperties.TryMeasure(entries[i].Path, maxPixels, out properties[i], out failures[i]))
            {
                failures[i] ??= "cannot be read";
            }
        });

        var findings = new List<Finding>();
        Unreadable(entries, failures, skipped, findings);
        var readable = Enumerable.Range(0, entries.Count).Where(i => properties[i] is not null).ToList();
        var measured = readable.Select(i => properties[i]!).ToList();
        var readableEntries = readable.Select(i => entries[i]).ToList();
        ExtensionMismatches(readableEntries, measured, findings);
        var groups = DuplicateFinder.Group(measured.Select(p => p.Fingerprint).ToList(), options.Duplicates);
        Duplicates(readableEntries, groups, findings);
        Imbalance(manifest, options, findings);
        TooFew(manifest, options, findings);
        Shift(readableEntries, measured, options, findings);
        return findings;
    }

    private static void Unreadable(IReadOnlyList<SplitEntry> entries, string?[] failures, IReadOnlyList<SkippedFile> skipped, List<Finding> findings)
    {
        // Files outside class folders (a README beside the classes) are not images that failed; only decode failures count.
        var evidence = skipped.Where(s => File.Exists(s.Path) && !s.Reason.StartsWith("not inside a class folder", StringComparison.Ordinal))
            .Select(s => $"{s.Path}: {s.Reason}").ToList();
        evidence.AddRange(Enumerable.Range(0, entries.Count).Where(i => failures[i] is not null).Select(i => $"{entries[i].Path}: {failures[i]}"));
        if (evidence.Count == 0)
        {
            return;
        }
        findings.Add(new Finding(FindingCodes.UnreadableFile, FindingSeverity.Warning,
            $"{evidence.Count} file(s) cannot be used as images and are left out of training and evaluation.",
            [.. evidence, $"{evidence.Count} file(s) listed"],
            "Replace or delete these files (or re-export them as JPEG/PNG); run with --strict in holdout train to make this an error."));
    }

    private static void ExtensionMismatches(IReadOnlyList<SplitEntry> entries, IReadOnlyList<ImageProperties> measured, List<Finding> findings)
    {
        var evidence = Enumerable.Range(0, entries.Count)
            .Where(i => !ImageProperties.ExtensionMatches(entries[i].Path, measured[i].Format))
            .Select(i => $"{entries[i].Path}: named {Path.GetExtension(entries[i].Path)} but holds {measured[i].Format.ToString().ToUpperInvariant()}")
            .ToList();
        if (evidence.Count > 0)
        {
            findings.Add(new Finding(FindingCodes.ExtensionMismatch, FindingSeverity.Info,
                $"{evidence.Count} file(s) have an extension that does not match their content; Holdout reads them by content, other tools may not.",
                [.. evidence, $"{evidence.Count} file(s) listed"], "Rename the files to their real format's extension."));
        }
    }

    private static void Duplicates(IReadOnlyList<SplitEntry> entries, DuplicateGroups groups, List<Finding> findings)
    {
        var cross = new List<string>();
        var conflicting = new List<string>();
        var within = new List<string>();
        int crossGroups = 0, conflictGroups = 0, withinGroups = 0;
        foreach (var group in groups.Groups)
        {
            var members = group.Members.Select(m => entries[m]).ToList();
            var hashOf = group.Members.ToDictionary(m => entries[m], m => groups.Fingerprints[m].PixelHash);
            var how = group.Kind == DuplicateKind.Exact
                ? "same pixels"
                : $"re-encoded or resized: dHash {group.MaxDifferenceHashDistance}, pHash {group.MaxDctHashDistance} bits apart, thumbnails correlate {group.MinThumbnailCorrelation.ToString("F3", CultureInfo.InvariantCulture)}";
            if (members.Select(m => m.Split).Distinct().Count() > 1)
            {
                crossGroups++;
                cross.Add($"{Describe(members)} ({how})");
            }
            if (members.Select(m => m.Label).Distinct(StringComparer.Ordinal).Count() > 1)
            {
                conflictGroups++;
                conflicting.Add($"{Describe(members)} ({how})");
            }
            foreach (var sameSplit in members.GroupBy(m => m.Split).Where(g => g.Count() > 1))
            {
                var exact = sameSplit.Select(m => hashOf[m]).Distinct().Count() < sameSplit.Count();
                if (exact)
                {
                    withinGroups++;
                    within.Add($"{sameSplit.Key.ToName()}: {string.Join(" = ", sameSplit.Select(m => m.Path))}");
                }
            }
        }
        if (crossGroups > 0)
        {
            findings.Add(new Finding(FindingCodes.CrossSplitDuplicate, FindingSeverity.Error,
                $"{crossGroups} photo(s) appear in more than one split (exact copies or re-encoded/resized versions): validation and test scores are inflated by images the model trained on.",
                [$"{crossGroups} group(s) of copies of one photo span more than one split:", .. cross],
                "Delete the copies from validation/test (or from train), or let Holdout split the data: holdout split DATA keeps every duplicate group in one split."));
        }
        if (conflictGroups > 0)
        {
            findings.Add(new Finding(FindingCodes.ConflictingLabels, FindingSeverity.Error,
                $"{conflictGroups} photo(s) are filed under two different classes: the model is asked to learn contradictory answers.",
                [$"{conflictGroups} group(s) of copies of one photo carry more than one class:", .. conflicting],
                "Decide the right class for each photo and delete the copy in the wrong class folder."));
        }
        if (withinGroups > 0)
        {
            findings.Add(new Finding(FindingCodes.ExactDuplicate, FindingSeverity.Warning,
                $"{withinGroups} image(s) have byte-identical copies within the same split: they count twice in training or in the score.",
                [$"{withinGroups} group(s) of byte-identical copies within one split:", .. within],
                "Delete the extra copies."));
        }
    }

    private static string Describe(IReadOnlyList<SplitEntry> members) =>
        string.Join(" <-> ", members.Select(m => $"{m.Split.ToName()}/{m.Label}: {m.Path}"));

    private static void Imbalance(SplitManifest manifest, DataAuditOptions options, List<Finding> findings)
    {
        var counts = manifest.Counts();
        var train = Enumerable.Range(0, manifest.ClassNames.Count).Select(c => counts[c, (int)DataSplit.Train]).ToArray();
        var present = train.Where(n => n > 0).ToArray();
        if (present.Length < 2)
        {
            return;
        }
        var ratio = present.Max() / (double)present.Min();
        if (ratio < options.ImbalanceRatio)
        {
            return;
        }
        var weights = ClassWeights.InverseFrequency(train);
        var evidence = Enumerable.Range(0, train.Length)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{manifest.ClassNames[c]}: {train[c]} training images ({train[c] / (double)train.Sum():P0}), suggested class weight {weights[c]:0.###}"))
            .Prepend(string.Create(CultureInfo.InvariantCulture, $"largest/smallest class: {ratio:0.0}x; always predicting '{manifest.ClassNames[Array.IndexOf(train, train.Max())]}' scores {train.Max() / (double)train.Sum():P0} accuracy"))
            .ToList();
        findings.Add(new Finding(FindingCodes.ClassImbalance, ratio >= 3 ? FindingSeverity.Warning : FindingSeverity.Info,
            string.Create(CultureInfo.InvariantCulture, $"The training classes are imbalanced ({ratio:0.0}x between the largest and the smallest): accuracy alone will flatter a model that favours the big classes."),
            evidence,
            "Train with class weights (holdout train --class-weights uses the weights above), collect more images of the small classes, and judge by per-class recall or balanced accuracy."));
    }

    private static void TooFew(SplitManifest manifest, DataAuditOptions options, List<Finding> findings)
    {
        var counts = manifest.Counts();
        var evidence = new List<string>();
        var severity = FindingSeverity.Warning;
        foreach (var split in new[] { DataSplit.Train, DataSplit.Validation })
        {
            for (var c = 0; c < manifest.ClassNames.Count; c++)
            {
                var n = counts[c, (int)split];
                if (n >= options.MinimumPerClass)
                {
                    continue;
                }
                if (n == 0)
                {
                    severity = FindingSeverity.Error;
                }
                var margin = n == 0 ? "nothing to measure" : string.Create(CultureInfo.InvariantCulture, $"one image moves its recall by {1.0 / n:P0}");
                evidence.Add($"{split.ToName()}/{manifest.ClassNames[c]}: {n} image(s) ({margin})");
            }
        }
        if (evidence.Count == 0)
        {
            return;
        }
        findings.Add(new Finding(FindingCodes.TooFewImages, severity,
            $"Some classes have fewer than {options.MinimumPerClass} images in a split: too few to train on or to measure reliably.",
            [.. evidence, $"fewer than {options.MinimumPerClass} images of a class in a split count as too few"],
            "Add images to these classes (at least a few dozen per class), or use a larger validation fraction (--split 60/20/20)."));
    }

    private static void Shift(IReadOnlyList<SplitEntry> entries, IReadOnlyList<ImageProperties> measured, DataAuditOptions options, List<Finding> findings)
    {
        var bySplit = Enumerable.Range(0, entries.Count).GroupBy(i => entries[i].Split).ToDictionary(g => g.Key, g => g.Select(i => measured[i]).ToList());
        if (!bySplit.TryGetValue(DataSplit.Train, out var train) || train.Count < 2)
        {
            return;
        }
        var measures = new (string Name, Func<ImageProperties, double> Value, string Unit)[]
        {
            ("image size", p => Math.Log(p.Megapixels), "megapixels (compared on a log scale)"),
            ("aspect", p => p.Aspect, "width/height"),
            ("brightness", p => p.Brightness, "mean luma 0-255"),
            ("contrast", p => p.Contrast, "luma std"),
            ("colour", p => p.Colourfulness, "colourfulness"),
        };
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
        {
            if (!bySplit.TryGetValue(split, out var other) || other.Count < 2)
            {
                continue;
            }
            var evidence = new List<string>();
            var shifted = new List<string>();
            foreach (var (name, value, unit) in measures)
            {
                var a = train.Select(value).ToArray();
                var b = other.Select(value).ToArray();
                var d = CohenD(a, b);
                var display = name == "image size" ? (Func<double, double>)Math.Exp : v => v;
                evidence.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: train {display(a.Average()):0.###} vs {split.ToName()} {display(b.Average()):0.###} {unit}, effect size d = {FormatEffect(d)}"));
                if (Math.Abs(d) >= options.ShiftEffectSize)
                {
                    shifted.Add(name);
                }
            }
            var shares = new (string Name, Func<ImageProperties, bool> Test)[]
            {
                ("grayscale share", p => p.Grayscale),
            };
            foreach (var (name, test) in shares)
            {
                double p1 = train.Count(test) / (double)train.Count, p2 = other.Count(test) / (double)other.Count;
                var h = 2 * Math.Asin(Math.Sqrt(p2)) - 2 * Math.Asin(Math.Sqrt(p1));
                evidence.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: train {p1:P0} vs {split.ToName()} {p2:P0}, effect size h = {h:0.00}"));
                if (Math.Abs(h) >= options.ShiftEffectSize)
                {
                    shifted.Add(name);
                }
            }
            var formats = train.Concat(other).Select(p => p.Format).Distinct().ToList();
            var formatH = 0.0;
            foreach (var format in formats)
            {
                double p1 = train.Count(p => p.Format == format) / (double)train.Count, p2 = other.Count(p => p.Format == format) / (double)other.Count;
                formatH = Math.Max(formatH, Math.Abs(2 * Math.Asin(Math.Sqrt(p2)) - 2 * Math.Asin(Math.Sqrt(p1))));
            }
            evidence.Add(string.Create(CultureInfo.InvariantCulture,
                $"format: train {FormatShares(train)} vs {split.ToName()} {FormatShares(other)}, effect size h = {formatH:0.00}"));
            if (formatH >= options.ShiftEffectSize)
            {
                shifted.Add("format");
            }
            if (shifted.Count == 0)
            {
                continue;
            }
            findings.Add(new Finding(FindingCodes.SplitShift, FindingSeverity.Warning,
                $"The {split.ToName()} images differ from the training images in {string.Join(", ", shifted)}: the score there measures a different kind of image than the model learned from.",
                evidence.OrderByDescending(e => shifted.Any(s => e.StartsWith(s + ":", StringComparison.Ordinal))).ToList(),
                $"Make the {split.ToName()} images come from the same source as the training images (same camera, size, format), or mix both sources across all splits; if the difference is real, add such images to training."));
        }
    }

    private static string FormatShares(List<ImageProperties> images) =>
        string.Join(" ", images.GroupBy(p => p.Format).OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key.ToString().ToUpperInvariant()} {g.Count() / (double)images.Count:P0}")));

    private static string FormatEffect(double d) =>
        double.IsInfinity(d) ? (d > 0 ? "+inf (no spread in either split)" : "-inf (no spread in either split)") : d.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Cohen's d of <paramref name="b"/> against <paramref name="a"/> with the pooled standard deviation.</summary>
    internal static double CohenD(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        var va = a.Sum(x => (x - ma) * (x - ma)) / Math.Max(1, a.Length - 1);
        var vb = b.Sum(x => (x - mb) * (x - mb)) / Math.Max(1, b.Length - 1);
        var pooled = Math.Sqrt(((a.Length - 1) * va + (b.Length - 1) * vb) / Math.Max(1, a.Length + b.Length - 2));
        var diff = mb - ma;
        if (pooled < 1e-12)
        {
            return Math.Abs(diff) < 1e-9 ? 0 : diff > 0 ? double.PositiveInfinity : double.NegativeInfinity;
        }
        return diff / pooled;
    }
}
