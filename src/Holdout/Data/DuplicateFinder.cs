using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>
/// Finds exact duplicates (same decoded pixels) and near-duplicates (the same photo re-encoded or resized: perceptual
/// hashes propose, thumbnails confirm, see <see cref="DuplicateOptions"/>) in a list of images and groups them so
/// that every two members of a group are duplicates of each other (no chaining through look-alikes). Used by
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

    /// <summary>
    /// Groups already computed fingerprints. Images with the same pixels form one unit; two units are linked when
    /// either hash is within its threshold and their thumbnails confirm it; groups are then built by complete
    /// linkage, strongest links first: two groups merge only when every image of one is linked to every image of the
    /// other, so a chain of look-alikes never becomes one group.
    /// </summary>
    /// <param name="fingerprints">One per image, in the order group indices refer to.</param>
    /// <param name="options">Thresholds; defaults to <see cref="DuplicateOptions"/>'s defaults.</param>
    public static DuplicateGroups Group(IReadOnlyList<ImageFingerprint> fingerprints, DuplicateOptions? options = null)
    {
        options ??= new DuplicateOptions();
        var count = fingerprints.Count;

        // Exact duplicates are the same picture: one unit per pixel hash, its first image standing for it.
        var unitOf = new int[count];
        var units = new List<List<int>>();
        var unitByHash = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            if (!unitByHash.TryGetValue(fingerprints[i].PixelHash, out var unit))
            {
                unit = units.Count;
                unitByHash[fingerprints[i].PixelHash] = unit;
                units.Add([]);
            }
            units[unit].Add(i);
            unitOf[i] = unit;
        }

        var links = options.NearDuplicates ? NearLinks(units.Select(u => fingerprints[u[0]]).ToList(), options) : [];
        var linkOf = links.ToDictionary(l => (l.A, l.B));
        var clusterOf = Enumerable.Range(0, units.Count).ToArray();
        var clusters = Enumerable.Range(0, units.Count).Select(u => new List<int> { u }).ToArray();
        foreach (var link in links.OrderByDescending(l => l.Correlation).ThenBy(l => l.A).ThenBy(l => l.B))
        {
            int ca = clusterOf[link.A], cb = clusterOf[link.B];
            if (ca == cb || !clusters[ca].All(x => clusters[cb].All(y => linkOf.ContainsKey((Math.Min(x, y), Math.Max(x, y))))))
            {
                continue;
            }
            var (keep, gone) = (Math.Min(ca, cb), Math.Max(ca, cb));
            foreach (var unit in clusters[gone])
            {
                clusterOf[unit] = keep;
            }
            clusters[keep].AddRange(clusters[gone]);
            clusters[gone].Clear();
        }

        var groupOf = new int[count];
        var numbers = new Dictionary<int, int>();
        for (var i = 0; i < count; i++)
        {
            var cluster = clusterOf[unitOf[i]];
            if (!numbers.TryGetValue(cluster, out var number))
            {
                number = numbers.Count;
                numbers[cluster] = number;
            }
            groupOf[i] = number;
        }
        var groups = new List<DuplicateGroup>();
        foreach (var members in Enumerable.Range(0, count).GroupBy(i => groupOf[i]).Where(g => g.Count() > 1).OrderBy(g => g.First()))
        {
            var set = members.ToList();
            var memberUnits = set.Select(i => unitOf[i]).Distinct().Order().ToList();
            var pairs = memberUnits.SelectMany((a, k) => memberUnits.Skip(k + 1).Select(b => linkOf[(a, b)])).ToList();
            groups.Add(pairs.Count == 0
                ? new DuplicateGroup(members.Key, set, DuplicateKind.Exact, 0, 0, 1)
                : new DuplicateGroup(members.Key, set, DuplicateKind.Near, pairs.Max(l => l.DHash), pairs.Max(l => l.PHash), pairs.Min(l => l.Correlation)));
        }
        return new DuplicateGroups(fingerprints, groupOf, groups);
    }

    /// <summary>
    /// Every pair of <paramref name="units"/> (distinct pixels) with either hash within its threshold and thumbnails
    /// that correlate enough: all pairs compared by 64-bit popcounts (parallel), thumbnails only for those.
    /// </summary>
    private static List<Link> NearLinks(IReadOnlyList<ImageFingerprint> units, DuplicateOptions options)
    {
        var count = units.Count;
        var dhash = units.Select(f => f.DifferenceHash).ToArray();
        var phash = units.Select(f => f.DctHash).ToArray();
        var found = new List<Link>?[count];
        Parallel.For(0, count, i =>
        {
            List<Link>? mine = null;
            for (var j = i + 1; j < count; j++)
            {
                int d = PerceptualHash.HammingDistance(dhash[i], dhash[j]), p = PerceptualHash.HammingDistance(phash[i], phash[j]);
                if (d > options.MaxDifferenceHashDistance && p > options.MaxDctHashDistance)
                {
                    continue;
                }
                var correlation = PerceptualHash.ThumbnailCorrelation(units[i].Thumbnail, units[j].Thumbnail);
                if (correlation >= options.MinThumbnailCorrelation)
                {
                    (mine ??= []).Add(new Link(i, j, d, p, correlation));
                }
            }
            found[i] = mine;
        });
        return found.Where(l => l is not null).SelectMany(l => l!).ToList();
    }

    /// <summary>Two units (<see cref="Link.A"/> &lt; <see cref="Link.B"/>) confirmed as near-duplicates, and how close they are.</summary>
    private readonly record struct Link(int A, int B, int DHash, int PHash, double Correlation);
}
