using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>
/// Finds exact duplicates (same decoded pixels) and near-duplicates (the same photo re-encoded or resized, by
/// perceptual hashes, see <see cref="DuplicateOptions"/>) in a list of images and groups them transitively. Used by
/// the <see cref="Splitter"/> so that a group never straddles two splits, and by the data audit to report
/// duplicates across splits and duplicates with conflicting labels.
/// Near-duplicate search compares every pair (64-bit popcounts, parallel): fine up to tens of thousands of images.
/// </summary>
internal static class DuplicateFinder
{
    /// <summary>Decodes and fingerprints <paramref name="paths"/>, then groups them.</summary>
    /// <param name="paths">Image files (readable; see <see cref="DatasetDiscovery"/>).</param>
    /// <param name="options">Thresholds and workers; defaults to <see cref="DuplicateOptions"/>'s defaults.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <exception cref="HoldoutException">A file cannot be read (it is named, with the reason).</exception>
    public static DuplicateGroups Find(IReadOnlyList<string> paths, DuplicateOptions? options = null, CancellationToken cancellationToken = default) =>
        Find(paths, null, options, cancellationToken);

    /// <summary>
    /// Groups the samples of <paramref name="dataset"/>, taking each fingerprint from what discovery measured
    /// (<see cref="ImageDataset.Properties"/>) and decoding only the images it did not measure.
    /// </summary>
    /// <param name="dataset">The discovered dataset; group indices refer to its samples.</param>
    /// <param name="options">Thresholds and workers; defaults to <see cref="DuplicateOptions"/>'s defaults.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <exception cref="HoldoutException">An image that was not measured cannot be read (it is named, with the reason).</exception>
    public static DuplicateGroups Find(ImageDataset dataset, DuplicateOptions? options = null, CancellationToken cancellationToken = default) =>
        Find(dataset.Samples.Select(s => s.Path).ToList(), dataset.Properties, options, cancellationToken);

    private static DuplicateGroups Find(IReadOnlyList<string> paths, IReadOnlyDictionary<string, ImageProperties>? known,
        DuplicateOptions? options, CancellationToken cancellationToken)
    {
        options ??= new DuplicateOptions();
        var fingerprints = new ImageFingerprint[paths.Count];
        var failures = new string?[paths.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Workers > 0 ? options.Workers : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, paths.Count, parallel, i =>
        {
            if (known is not null && known.TryGetValue(paths[i], out var properties))
            {
                fingerprints[i] = properties.Fingerprint;
            }
            else if (ImageProperties.TryMeasure(paths[i], ImageLimits.MaxPixels, out properties, out var reason))
            {
                fingerprints[i] = properties!.Fingerprint;
            }
            else
            {
                failures[i] = reason;
            }
        });
        var failed = Array.FindIndex(failures, f => f is not null);
        if (failed >= 0)
        {
            throw new HoldoutException(
                $"Cannot read image '{paths[failed]}' to look for duplicates: {failures[failed]!.TrimEnd('.')}. It was readable when the dataset was listed; replace or remove the file and run again.");
        }
        return Group(fingerprints, options);
    }

    /// <summary>Groups already computed fingerprints.</summary>
    /// <param name="fingerprints">One per image, in the order group indices refer to.</param>
    /// <param name="options">Thresholds; defaults to <see cref="DuplicateOptions"/>'s defaults.</param>
    public static DuplicateGroups Group(IReadOnlyList<ImageFingerprint> fingerprints, DuplicateOptions? options = null)
    {
        options ??= new DuplicateOptions();
        var count = fingerprints.Count;
        var parent = Enumerable.Range(0, count).ToArray();
        var links = new List<(int A, int B, int DHash, int PHash)>();

        foreach (var same in Enumerable.Range(0, count).GroupBy(i => fingerprints[i].PixelHash).Where(g => g.Count() > 1))
        {
            var first = same.First();
            foreach (var other in same.Skip(1))
            {
                links.Add((first, other, 0, 0));
            }
        }
        if (options.NearDuplicates)
        {
            var dhash = fingerprints.Select(f => f.DifferenceHash).ToArray();
            var phash = fingerprints.Select(f => f.DctHash).ToArray();
            var found = new List<(int, int, int, int)>[count];
            Parallel.For(0, count, i =>
            {
                List<(int, int, int, int)>? mine = null;
                for (var j = i + 1; j < count; j++)
                {
                    var d = PerceptualHash.HammingDistance(dhash[i], dhash[j]);
                    if (d > options.MaxDifferenceHashDistance)
                    {
                        continue;
                    }
                    var p = PerceptualHash.HammingDistance(phash[i], phash[j]);
                    if (p <= options.MaxDctHashDistance && fingerprints[i].PixelHash != fingerprints[j].PixelHash)
                    {
                        (mine ??= []).Add((i, j, d, p));
                    }
                }
                found[i] = mine!;
            });
            foreach (var list in found.Where(l => l is not null))
            {
                links.AddRange(list);
            }
        }

        foreach (var (a, b, _, _) in links)
        {
            Union(parent, a, b);
        }
        var groupOf = new int[count];
        var numbers = new Dictionary<int, int>();
        for (var i = 0; i < count; i++)
        {
            var root = Find(parent, i);
            if (!numbers.TryGetValue(root, out var number))
            {
                number = numbers.Count;
                numbers[root] = number;
            }
            groupOf[i] = number;
        }
        var groups = new List<DuplicateGroup>();
        foreach (var members in Enumerable.Range(0, count).GroupBy(i => groupOf[i]).Where(g => g.Count() > 1).OrderBy(g => g.First()))
        {
            var set = members.ToList();
            var groupLinks = links.Where(l => groupOf[l.A] == members.Key).ToList();
            var exact = set.All(i => fingerprints[i].PixelHash == fingerprints[set[0]].PixelHash);
            groups.Add(new DuplicateGroup(members.Key, set, exact ? DuplicateKind.Exact : DuplicateKind.Near,
                groupLinks.Max(l => l.DHash), groupLinks.Max(l => l.PHash)));
        }
        return new DuplicateGroups(fingerprints, groupOf, groups);
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra != rb)
        {
            parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
        }
    }
}
