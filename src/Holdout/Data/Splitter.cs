namespace Holdout.Data;

/// <summary>
/// Splits a dataset into train, validation and test, stratified by class and driven by a seed, keeping every group
/// of duplicates (exact or near, see <see cref="DuplicateFinder"/>) inside one split.
/// <list type="bullet">
/// <item>Not split yet: each class is divided by <see cref="SplitOptions.Ratios"/> (default 70/15/15); the counts are the
/// largest-remainder rounding of the ratios (each within one image of the exact share) with at least one image in
/// every split whose ratio is above zero.</item>
/// <item>Split by folders or manifest: the given split is used as is; a missing validation (or test) part is carved out of
/// train, stratified, in proportion to the ratios (70/15 of train for validation by default); test stays test.</item>
/// </list>
/// A group of duplicates counts for the class most of its members have. Duplicate groups are assigned whole, the
/// largest first, to the split that is furthest below its target.
/// </summary>
public static class Splitter
{
    /// <summary>Splits <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The discovered dataset.</param>
    /// <param name="options">Ratios, seed and duplicate thresholds; defaults to <see cref="SplitOptions"/>'s defaults.</param>
    /// <param name="cancellationToken">Stops the duplicate search.</param>
    /// <exception cref="HoldoutException">A class has fewer images (or distinct photos) than the split needs.</exception>
    public static SplitResult Split(ImageDataset dataset, SplitOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SplitOptions();
        var ratios = options.EffectiveRatios;
        var samples = dataset.Samples;
        var duplicates = DuplicateFinder.Find(dataset, options.Duplicates, cancellationToken);
        var assigned = new DataSplit?[samples.Count];

        var given = dataset.HasGivenSplit;
        var toFill = new List<DataSplit>();
        if (given)
        {
            var present = samples.Select(s => s.GivenSplit!.Value).ToHashSet();
            for (var i = 0; i < samples.Count; i++)
            {
                if (samples[i].GivenSplit != DataSplit.Train)
                {
                    assigned[i] = samples[i].GivenSplit;
                }
            }
            toFill.Add(DataSplit.Train);
            foreach (var missing in new[] { DataSplit.Validation, DataSplit.Test }.Where(s => !present.Contains(s) && ratios.For(s) > 0))
            {
                toFill.Add(missing);
            }
        }
        else
        {
            toFill.AddRange(new[] { DataSplit.Train, DataSplit.Validation, DataSplit.Test }.Where(s => ratios.For(s) > 0));
        }

        // Units to place: duplicate groups restricted to the samples still unassigned. A unit with a member already in
        // a given split joins that split (when it is one being filled, i.e. never) or stays in train, and is reported.
        var open = Enumerable.Range(0, samples.Count).Where(i => assigned[i] is null).ToList();
        if (toFill.Count == 1)
        {
            foreach (var i in open)
            {
                assigned[i] = toFill[0];
            }
        }
        else if (open.Count > 0)
        {
            var units = open.GroupBy(duplicates.GroupOf).Select(g => g.ToList()).ToList();
            foreach (var byClass in units.GroupBy(u => MajorityLabel(u, samples)).OrderBy(g => g.Key))
            {
                AssignClass(dataset, byClass.Key, byClass.ToList(), toFill, ratios, options.Seed, assigned);
            }
        }

        var entries = new List<SplitEntry>(samples.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            entries.Add(new SplitEntry(samples[i].Path, dataset.ClassNames[samples[i].Label], assigned[i]!.Value, duplicates.GroupOf(i)));
        }
        var crossSplit = duplicates.Groups.Where(g => g.Members.Select(m => assigned[m]).Distinct().Count() > 1).ToList();
        var manifest = given && toFill.Count == 1
            ? new SplitManifest(entries, null, null, dataset.Root)
            : new SplitManifest(entries, options.Seed, ratios, dataset.Root);
        return new SplitResult(manifest, duplicates, crossSplit);
    }

    private static int MajorityLabel(List<int> unit, IReadOnlyList<ImageSample> samples) =>
        unit.GroupBy(i => samples[i].Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;

    private static void AssignClass(ImageDataset dataset, int label, List<List<int>> units, List<DataSplit> toFill,
        SplitRatios ratios, long seed, DataSplit?[] assigned)
    {
        var total = units.Sum(u => u.Count);
        var className = dataset.ClassNames[label];
        var weights = toFill.Select(ratios.For).ToArray();
        var ratioText = string.Join("/", weights.Select(w => (w / weights.Sum() * 100).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)));
        var splitNames = string.Join(", ", toFill.Select(s => s.ToName()));
        if (total < toFill.Count)
        {
            throw new HoldoutException(
                $"Class '{className}' has {total} image(s); a {ratioText} split into {splitNames} needs at least {toFill.Count} (one per split). Add images to '{className}' or remove the class.");
        }
        if (units.Count < toFill.Count)
        {
            throw new HoldoutException(
                $"Class '{className}' has {total} image(s) but only {units.Count} distinct photo(s) (the rest are duplicates); a {ratioText} split into {splitNames} needs at least {toFill.Count} distinct photos. Add different images to '{className}'.");
        }
        var targets = Targets(total, weights);

        var random = new SeededRandom(SeededRandom.Mix(seed, label, SeedPurpose.Split));
        random.Shuffle(units);
        var ordered = units.Select((u, i) => (Unit: u, Order: i)).OrderByDescending(u => u.Unit.Count).ThenBy(u => u.Order).ToList();
        var filled = new int[toFill.Count];
        for (var k = 0; k < ordered.Count; k++)
        {
            var unit = ordered[k].Unit;
            var remainingUnits = ordered.Count - k;
            var emptyNeeded = Enumerable.Range(0, toFill.Count).Count(s => filled[s] == 0);
            var best = 0;
            var bestDeficit = double.NegativeInfinity;
            for (var s = 0; s < toFill.Count; s++)
            {
                // Keep enough units for splits that are still empty, then fill the one furthest below its target.
                if (remainingUnits <= emptyNeeded && filled[s] > 0)
                {
                    continue;
                }
                double deficit = targets[s] - filled[s];
                if (deficit > bestDeficit)
                {
                    bestDeficit = deficit;
                    best = s;
                }
            }
            filled[best] += unit.Count;
            foreach (var i in unit)
            {
                assigned[i] = toFill[best];
            }
        }
    }

    /// <summary>Largest-remainder rounding of total x weights, with at least one per part.</summary>
    internal static int[] Targets(int total, double[] weights)
    {
        var sum = weights.Sum();
        var exact = weights.Select(w => total * w / sum).ToArray();
        var targets = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var left = total - targets.Sum();
        foreach (var s in Enumerable.Range(0, weights.Length).OrderByDescending(s => exact[s] - targets[s]).ThenBy(s => s).Take(left))
        {
            targets[s]++;
        }
        for (var s = 0; s < targets.Length; s++)
        {
            while (targets[s] < 1)
            {
                var donor = Enumerable.Range(0, targets.Length).OrderByDescending(d => targets[d]).First();
                targets[donor]--;
                targets[s]++;
            }
        }
        return targets;
    }
}
