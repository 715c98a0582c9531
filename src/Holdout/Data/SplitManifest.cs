using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Holdout.Data;

/// <summary>
/// A dataset's split written down once and reused by training, evaluation and prediction, so a run never re-splits
/// silently: <c>split.csv</c> with the columns <c>path,label,split,group</c> (split = train, val or test; group = the
/// duplicate group number, shared by copies of the same photo). Paths are relative to the CSV's folder when the image
/// lies under it, else absolute. The file is plain RFC 4180 CSV with the header on line 1, so pandas, Excel and
/// Python's <c>csv.DictReader</c> read it as is; the seed, ratios and source go to a sidecar <c>split.json</c> beside it
/// (<see cref="MetadataPath"/>).
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

    /// <summary>The sidecar that records a manifest's seed, ratios and source: <c>split.csv</c> → <c>split.json</c>.</summary>
    /// <param name="path">The manifest's path.</param>
    public static string MetadataPath(string path) => Path.ChangeExtension(path, ".json");

    /// <summary>Writes the manifest to <paramref name="path"/> and its sidecar (<see cref="MetadataPath"/>), each atomically.</summary>
    /// <param name="path">The CSV file to write, e.g. <c>split.csv</c>.</param>
    public void Write(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var text = new StringBuilder("path,label,split,group\n");
        foreach (var entry in Entries)
        {
            text.Append(CsvTable.Escape(CsvTable.RelativePath(folder, entry.Path))).Append(',')
                .Append(CsvTable.Escape(entry.Label)).Append(',')
                .Append(entry.Split.ToName()).Append(',')
                .Append(entry.Group.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        var metadata = new JsonObject
        {
            ["format"] = "holdout-split",
            ["seed"] = Seed,
            ["ratios"] = Ratios?.ToString(),
            ["source"] = Source,
            ["images"] = Entries.Count,
        };
        AtomicFile.WriteAllText(MetadataPath(path), StrictJson.Write(metadata, StrictJson.Indented));
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>
    /// Reads a manifest written by <see cref="Write"/> and checks it: header, split names, group numbers, and that
    /// every listed file still exists. Files written by earlier versions (metadata in a first '#' line) are read too.
    /// </summary>
    /// <param name="path">The <c>split.csv</c> file.</param>
    /// <exception cref="HoldoutException">The file is missing or malformed, or lists a file that no longer exists.</exception>
    public static SplitManifest Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new HoldoutException($"Split manifest '{path}' does not exist. Create it with: holdout split DATA --out {path}");
        }
        var table = CsvTable.Read(path);
        var (seed, ratios, source) = ReadMetadata(path, table.Folder);
        var rows = table.Rows;
        if (rows.Count == 0 || !string.Join(',', rows[0].Fields.Select(f => f.Trim().ToLowerInvariant())).Equals("path,label,split,group", StringComparison.Ordinal))
        {
            throw new HoldoutException(
                $"Split manifest '{path}' line {(rows.Count == 0 ? 1 : rows[0].Line)}: expected the header path,label,split,group but found '{(rows.Count == 0 ? "" : rows[0].ToString())}'. Re-create it with: holdout split DATA --out {path}");
        }
        var entries = new List<SplitEntry>();
        foreach (var row in rows.Skip(1))
        {
            if (row.Fields.Count != 4 || !DataSplitNames.TryParse(row[2], out var split)
                || !int.TryParse(row[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group) || row[1].Length == 0)
            {
                throw new HoldoutException(
                    $"Split manifest '{path}' line {row.Line}: expected path,label,(train|val|test),group-number but found '{row}'. Fix the line or re-create the manifest with holdout split.");
            }
            var full = table.Resolve(row[0]);
            if (!File.Exists(full))
            {
                throw new HoldoutException(
                    $"Split manifest '{path}' line {row.Line}: image '{full}' no longer exists. Restore it, or re-create the split with holdout split (the new split will differ).");
            }
            entries.Add(new SplitEntry(full, row[1], split, group));
        }
        if (entries.Count == 0)
        {
            throw new HoldoutException($"Split manifest '{path}' has no rows. Re-create it with: holdout split DATA --out {path}");
        }
        return new SplitManifest(entries, seed, ratios, source);
    }

    private static (long? Seed, SplitRatios? Ratios, string Source) ReadMetadata(string path, string folder)
    {
        var sidecar = MetadataPath(path);
        if (File.Exists(sidecar))
        {
            try
            {
                var json = JsonNode.Parse(File.ReadAllText(sidecar))?.AsObject();
                if (json?["format"]?.GetValue<string>() == "holdout-split")
                {
                    var ratios = json["ratios"]?.GetValue<string>();
                    return (json["seed"]?.GetValue<long>(), ratios is null ? null : SplitRatios.Parse(ratios), json["source"]?.GetValue<string>() ?? folder);
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or HoldoutException)
            {
                // A damaged sidecar only loses the provenance; the split itself is in the CSV.
            }
        }
        // Earlier versions wrote the metadata as a first line "# holdout split: seed=.. ratios=.. source=..".
        long? seed = null;
        SplitRatios? legacyRatios = null;
        var source = folder;
        var first = File.ReadLines(path).FirstOrDefault();
        if (first is not null && first.StartsWith("# holdout split:", StringComparison.Ordinal))
        {
            var rest = first["# holdout split:".Length..];
            var sourceAt = rest.IndexOf(" source=", StringComparison.Ordinal);
            if (sourceAt >= 0)
            {
                source = rest[(sourceAt + " source=".Length)..];
                rest = rest[..sourceAt];
            }
            foreach (var pair in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0) continue;
                var (key, value) = (pair[..equals], pair[(equals + 1)..]);
                if (key == "seed" && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)) seed = s;
                else if (key == "ratios" && value != "given") legacyRatios = SplitRatios.Parse(value);
            }
        }
        return (seed, legacyRatios, source);
    }
}
