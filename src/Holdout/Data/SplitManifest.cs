using System.Globalization;
using System.Text;

namespace Holdout.Data;

/// <summary>
/// A dataset's split written down once and reused by training, evaluation and prediction, so a run never re-splits
/// silently: <c>split.csv</c> with the columns <c>path,label,split,group</c> (split = train, val or test; group = the
/// duplicate group number, shared by copies of the same photo). Paths are relative to the CSV's folder when the image
/// lies under it, else absolute. The first line is a comment (<c># holdout split ...</c>) that records the seed,
/// ratios and source; CSV readers that do not skip '#' lines can use <c>skiprows=1</c>.
/// </summary>
public sealed class SplitManifest
{
    /// <summary>Creates a manifest from its rows.</summary>
    /// <param name="entries">The rows, in order.</param>
    /// <param name="seed">The seed the split was made with, or null when the dataset's own split was used.</param>
    /// <param name="ratios">The ratios the split was made with, or null when the dataset's own split was used.</param>
    /// <param name="source">The dataset folder or manifest the split was made from.</param>
    public SplitManifest(IReadOnlyList<SplitEntry> entries, long? seed, SplitRatios? ratios, string source)
    {
        Entries = entries;
        Seed = seed;
        Ratios = ratios;
        Source = source;
        ClassNames = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The rows.</summary>
    public IReadOnlyList<SplitEntry> Entries { get; }

    /// <summary>The seed the split was made with; null when the dataset came already split.</summary>
    public long? Seed { get; }

    /// <summary>The ratios the split was made with; null when the dataset came already split.</summary>
    public SplitRatios? Ratios { get; }

    /// <summary>The dataset the split was made from.</summary>
    public string Source { get; }

    /// <summary>Class names, sorted ordinally; a sample's label indexes this list.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The samples of one split with labels as indices into <see cref="ClassNames"/>, in manifest order.</summary>
    /// <param name="split">The split.</param>
    public IReadOnlyList<ImageSample> Samples(DataSplit split)
    {
        var labelOf = ClassNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        return Entries.Where(e => e.Split == split).Select(e => new ImageSample(e.Path, labelOf[e.Label], e.Split)).ToList();
    }

    /// <summary>Number of images per class (rows, in <see cref="ClassNames"/> order) and split (columns: train, val, test).</summary>
    public int[,] Counts()
    {
        var counts = new int[ClassNames.Count, 3];
        var labelOf = ClassNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        foreach (var entry in Entries)
        {
            counts[labelOf[entry.Label], (int)entry.Split]++;
        }
        return counts;
    }

    /// <summary>
    /// The images of <paramref name="dataset"/> that this manifest does not list (added since the split was made).
    /// A run that reuses the manifest does not use them; it should say so rather than re-split silently.
    /// </summary>
    /// <param name="dataset">The dataset as discovered now.</param>
    public IReadOnlyList<ImageSample> UnlistedSamples(ImageDataset dataset)
    {
        var listed = Entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        return dataset.Samples.Where(s => !listed.Contains(s.Path)).ToList();
    }

    /// <summary>Writes the manifest to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The CSV file to write, e.g. <c>split.csv</c>.</param>
    public void Write(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"# holdout split: seed={(Seed?.ToString(CultureInfo.InvariantCulture) ?? "given")} ratios={(Ratios?.ToString() ?? "given")} source={Source}\n");
        text.Append("path,label,split,group\n");
        foreach (var entry in Entries)
        {
            text.Append(CsvText.Escape(CsvText.RelativePath(folder, entry.Path))).Append(',')
                .Append(CsvText.Escape(entry.Label)).Append(',')
                .Append(entry.Split.ToName()).Append(',')
                .Append(entry.Group.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>
    /// Reads a manifest written by <see cref="Write"/> and checks it: header, split names, group numbers, and that
    /// every listed file still exists.
    /// </summary>
    /// <param name="path">The <c>split.csv</c> file.</param>
    /// <exception cref="HoldoutException">The file is missing or malformed, or lists a file that no longer exists.</exception>
    public static SplitManifest Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new HoldoutException($"Split manifest '{path}' does not exist. Create it with: holdout split DATA --out {path}");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        long? seed = null;
        SplitRatios? ratios = null;
        var source = folder;
        var entries = new List<SplitEntry>();
        var headerSeen = false;
        var lines = File.ReadAllLines(path);
        for (var lineNumber = 1; lineNumber <= lines.Length; lineNumber++)
        {
            var line = lines[lineNumber - 1];
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            if (line.StartsWith('#'))
            {
                ReadComment(line, ref seed, ref ratios, ref source);
                continue;
            }
            var fields = CsvText.SplitLine(line);
            if (!headerSeen)
            {
                if (!string.Join(',', fields.Select(f => f.Trim().ToLowerInvariant())).Equals("path,label,split,group", StringComparison.Ordinal))
                {
                    throw new HoldoutException(
                        $"Split manifest '{path}' line {lineNumber}: expected the header path,label,split,group but found '{line}'. Re-create it with: holdout split DATA --out {path}");
                }
                headerSeen = true;
                continue;
            }
            if (fields.Count != 4 || !DataSplitNames.TryParse(fields[2], out var split)
                || !int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group) || fields[1].Trim().Length == 0)
            {
                throw new HoldoutException(
                    $"Split manifest '{path}' line {lineNumber}: expected path,label,(train|val|test),group-number but found '{line}'. Fix the line or re-create the manifest with holdout split.");
            }
            var file = fields[0].Trim();
            var full = Path.GetFullPath(Path.IsPathRooted(file) ? file : Path.Combine(folder, file));
            if (!File.Exists(full))
            {
                throw new HoldoutException(
                    $"Split manifest '{path}' line {lineNumber}: image '{full}' no longer exists. Restore it, or re-create the split with holdout split (the new split will differ).");
            }
            entries.Add(new SplitEntry(full, fields[1].Trim(), split, group));
        }
        if (entries.Count == 0)
        {
            throw new HoldoutException($"Split manifest '{path}' has no rows. Re-create it with: holdout split DATA --out {path}");
        }
        return new SplitManifest(entries, seed, ratios, source);
    }

    private static void ReadComment(string line, ref long? seed, ref SplitRatios? ratios, ref string source)
    {
        if (!line.StartsWith("# holdout split:", StringComparison.Ordinal))
        {
            return;
        }
        var rest = line["# holdout split:".Length..];
        var sourceAt = rest.IndexOf(" source=", StringComparison.Ordinal);
        if (sourceAt >= 0)
        {
            source = rest[(sourceAt + " source=".Length)..];
            rest = rest[..sourceAt];
        }
        foreach (var pair in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                continue;
            }
            var (key, value) = (pair[..equals], pair[(equals + 1)..]);
            if (key == "seed" && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
            {
                seed = s;
            }
            else if (key == "ratios" && value != "given")
            {
                ratios = SplitRatios.Parse(value);
            }
        }
    }
}
