using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>
/// Finds the labelled images of a dataset and checks that each one decodes. Three layouts are recognised:
/// <list type="bullet">
/// <item>a folder with one subfolder per class: <c>DATA/&lt;class&gt;/*</c> (files in nested folders belong to the class);</item>
/// <item>a folder already split: <c>DATA/{train,val|validation|valid,test}/&lt;class&gt;/*</c> (the given split is kept;
/// with only train and test, the <see cref="Splitter"/> carves validation out of train);</item>
/// <item>a CSV manifest <c>path,label[,split]</c> (a header row is optional; paths relative to the CSV's folder or
/// absolute; lines starting with '#' are comments), which also reads a <c>split.csv</c> written by
/// <see cref="SplitManifest"/>.</item>
/// </list>
/// Files are recognised by content, not by extension, and each is decoded once: that decode both checks it and
/// measures it (<see cref="ImageDataset.Properties"/>). Files that cannot be used (empty, not an image, over the
/// pixel limit of <see cref="DiscoveryOptions.MaxPixels"/>, truncated, undecodable, missing) are skipped and listed
/// in <see cref="ImageDataset.Skipped"/> with the reason, or are an error with <see cref="DiscoveryOptions.Strict"/>. Hidden files and folders (name starting with '.') are ignored.
/// </summary>
public static class DatasetDiscovery
{
    /// <summary>Reads the dataset at <paramref name="path"/> (a folder or a CSV manifest).</summary>
    /// <param name="path">The dataset folder or CSV manifest.</param>
    /// <param name="options">Strictness and worker count; defaults to <see cref="DiscoveryOptions"/>'s defaults.</param>
    /// <param name="cancellationToken">Stops checking images.</param>
    /// <exception cref="HoldoutException">The path does not exist, holds no classes, a manifest line is malformed,
    /// or (strict) a file cannot be read.</exception>
    public static ImageDataset Discover(string path, DiscoveryOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DiscoveryOptions();
        var full = Path.GetFullPath(path);
        List<Candidate> candidates;
        DatasetLayout layout;
        var skipped = new List<SkippedFile>();
        if (File.Exists(full))
        {
            layout = DatasetLayout.CsvManifest;
            candidates = ReadManifest(full, skipped);
        }
        else if (Directory.Exists(full))
        {
            candidates = ReadFolder(full, skipped, out layout);
        }
        else
        {
            throw new HoldoutException(
                $"Dataset '{path}' does not exist. Expected a folder with one subfolder per class, a folder with train/val/test subfolders, or a CSV manifest (path,label[,split]).");
        }

        var classNames = candidates.Select(c => c.ClassName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (classNames.Count == 0)
        {
            throw new HoldoutException(
                $"Dataset '{path}' has no classes. Expected one subfolder per class (DATA/<class>/image.jpg), DATA/train/<class>/..., or a CSV manifest with path,label rows.");
        }

        var (failures, measured) = CheckImages(full, candidates, options, cancellationToken);
        var samples = new List<ImageSample>(candidates.Count);
        var properties = new Dictionary<string, ImageProperties>(StringComparer.Ordinal);
        var labelOf = classNames.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.Ordinal);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (failures[i] is { } reason)
            {
                skipped.Add(new SkippedFile(candidates[i].Path, reason));
            }
            else
            {
                samples.Add(new ImageSample(candidates[i].Path, labelOf[candidates[i].ClassName], candidates[i].Split));
                if (measured[i] is { } measurement)
                {
                    properties[candidates[i].Path] = measurement;
                }
            }
        }

        if (options.Strict && skipped.Count > 0)
        {
            var list = string.Join(Environment.NewLine, skipped.Take(20).Select(s => $"  {s.Path}: {s.Reason}"));
            var more = skipped.Count > 20 ? $"{Environment.NewLine}  ... and {skipped.Count - 20} more" : "";
            throw new HoldoutException(
                $"{skipped.Count} file(s) in dataset '{path}' cannot be used (strict mode):{Environment.NewLine}{list}{more}{Environment.NewLine}Fix or remove them, or run without --strict to skip them.");
        }
        return new ImageDataset(full, layout, classNames, samples, skipped) { Properties = properties };
    }

    private sealed record Candidate(string Path, string ClassName, DataSplit? Split);

    private static List<Candidate> ReadFolder(string root, List<SkippedFile> skipped, out DatasetLayout layout)
    {
        var subfolders = VisibleFolders(root);
        var splitFolders = new List<(string Folder, DataSplit Split)>();
        foreach (var folder in subfolders)
        {
            if (DataSplitNames.TryParse(Path.GetFileName(folder), out var split))
            {
                splitFolders.Add((folder, split));
            }
        }
        var candidates = new List<Candidate>();
        if (splitFolders.Count > 0 && splitFolders.All(s => VisibleFolders(s.Folder).Count > 0))
        {
            layout = DatasetLayout.SplitFolders;
            foreach (var duplicate in splitFolders.GroupBy(s => s.Split).Where(g => g.Count() > 1))
            {
                throw new HoldoutException(
                    $"Dataset '{root}' has more than one {duplicate.Key.ToName()} folder ({string.Join(", ", duplicate.Select(d => Path.GetFileName(d.Folder)))}). Keep one of them.");
            }
            if (!splitFolders.Any(s => s.Split == DataSplit.Train))
            {
                throw new HoldoutException(
                    $"Dataset '{root}' has {string.Join(" and ", splitFolders.Select(s => Path.GetFileName(s.Folder)))} folders but no train folder. Add DATA/train/<class>/..., or pass a folder with one subfolder per class.");
            }
            foreach (var other in subfolders.Except(splitFolders.Select(s => s.Folder)))
            {
                skipped.Add(new SkippedFile(other, "folder ignored: the dataset is split into train/val/test folders"));
            }
            foreach (var (folder, split) in splitFolders.OrderBy(s => s.Split))
            {
                AddClassFolders(folder, split, candidates, skipped);
            }
        }
        else
        {
            layout = DatasetLayout.ClassFolders;
            AddClassFolders(root, null, candidates, skipped);
        }
        return candidates;
    }

    private static void AddClassFolders(string folder, DataSplit? split, List<Candidate> candidates, List<SkippedFile> skipped)
    {
        // Images lying beside the class folders are a likely mistake and are reported; other files there (a
        // split.csv, a README) are the dataset's own metadata and are left alone.
        foreach (var file in VisibleFiles(folder))
        {
            // Header only (nothing is decoded), so even an image over the pixel limit is recognised here.
            if (ImageSource.TryOpen(file, long.MaxValue, out var image, out _))
            {
                image!.Dispose();
                skipped.Add(new SkippedFile(file, "image not inside a class folder (its class is unknown)"));
            }
        }
        foreach (var classFolder in VisibleFolders(folder))
        {
            var className = Path.GetFileName(classFolder);
            foreach (var file in VisibleFilesRecursive(classFolder))
            {
                candidates.Add(new Candidate(file, className, split));
            }
        }
    }

    private static List<string> VisibleFolders(string folder) =>
        Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    private static List<string> VisibleFiles(string folder) =>
        Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> VisibleFilesRecursive(string folder)
    {
        foreach (var file in VisibleFiles(folder))
        {
            yield return file;
        }
        foreach (var sub in VisibleFolders(folder))
        {
            foreach (var file in VisibleFilesRecursive(sub))
            {
                yield return file;
            }
        }
    }

    private static List<Candidate> ReadManifest(string csvPath, List<SkippedFile> skipped)
    {
        var table = CsvTable.Read(csvPath);
        var candidates = new List<Candidate>();
        int pathColumn = 0, labelColumn = 1, splitColumn = 2;
        var rows = table.Rows;
        if (rows.Count > 0 && rows[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList() is var names && names.Contains("path"))
        {
            pathColumn = names.IndexOf("path");
            labelColumn = names.IndexOf("label");
            splitColumn = names.IndexOf("split");
            if (labelColumn < 0)
            {
                throw new HoldoutException(
                    $"Manifest '{csvPath}' line {rows[0].Line}: the header has no 'label' column. Expected a header path,label[,split].");
            }
            rows = [.. rows.Skip(1)];
        }
        foreach (var row in rows)
        {
            if (row.Fields.Count < Math.Max(pathColumn, labelColumn) + 1)
            {
                throw new HoldoutException(
                    $"Manifest '{csvPath}' line {row.Line}: expected path,label[,split] but found '{row}'. Fix the line or remove it.");
            }
            var file = row[pathColumn];
            var label = row[labelColumn];
            if (file.Length == 0 || label.Length == 0)
            {
                throw new HoldoutException(
                    $"Manifest '{csvPath}' line {row.Line}: the path or label is empty. Every row needs a path and a label.");
            }
            DataSplit? split = null;
            if (row[splitColumn].Length > 0)
            {
                if (!DataSplitNames.TryParse(row[splitColumn], out var parsed))
                {
                    throw new HoldoutException(
                        $"Manifest '{csvPath}' line {row.Line}: unknown split '{row[splitColumn]}'. Expected train, val (or valid, validation) or test, or an empty field.");
                }
                split = parsed;
            }
            var full = table.Resolve(file);
            if (!File.Exists(full))
            {
                skipped.Add(new SkippedFile(full, $"file not found (manifest line {row.Line})"));
                continue;
            }
            candidates.Add(new Candidate(full, label, split));
        }
        var given = candidates.Count(c => c.Split is not null);
        if (given > 0 && given < candidates.Count)
        {
            throw new HoldoutException(
                $"Manifest '{csvPath}' gives a split for {given} of {candidates.Count} rows. Give a split (train, val, test) on every row, or on none to let Holdout split.");
        }
        return candidates;
    }

    /// <summary>
    /// Decodes every candidate once (or takes its measurement from the cache when unchanged) and returns the failure
    /// reasons and the measurements of the usable ones. Never throws for a file: whatever goes wrong with one is its
    /// reason.
    /// </summary>
    private static (string?[] Reasons, ImageProperties?[] Measured) CheckImages(string root, List<Candidate> candidates, DiscoveryOptions options,
        CancellationToken cancellationToken)
    {
        var reasons = new string?[candidates.Count];
        var measured = new ImageProperties?[candidates.Count];
        var maxPixels = options.EffectiveMaxPixels;
        var cache = MeasurementCache.Open(root);
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Workers > 0 ? options.Workers : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, candidates.Count, parallel, i =>
        {
            var path = candidates[i].Path;
            var stamp = cache is null ? null : MeasurementCache.Stamp.Of(path);
            if (stamp is { } known && cache!.TryGet(path, known, out var cached))
            {
                // Measured before and unchanged since: only the limit, which may have changed, is checked again.
                reasons[i] = ImageLimits.Refusal(cached!.Width, cached.Height, maxPixels);
                measured[i] = reasons[i] is null ? cached : null;
            }
            else if (ImageProperties.TryMeasure(path, maxPixels, out var properties, out var reason))
            {
                measured[i] = properties;
                if (stamp is { } before)
                {
                    cache!.Add(path, before, properties!);
                }
            }
            else
            {
                reasons[i] = reason;
            }
        });
        cache?.Save();
        return (reasons, measured);
    }
}
