using Holdout.Data;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// The images of a run: the split manifest it trains, validates and tests on, with what discovery skipped and the
/// duplicate groups the splitter kept together. <see cref="Prepare"/> reuses a run's own <c>split.csv</c> when there
/// is one (a run never re-splits silently), else discovers and splits the data as the options say.
/// </summary>
/// <param name="Split">The manifest.</param>
/// <param name="Source">The dataset the images came from (folder or manifest).</param>
/// <param name="Skipped">Files discovery could not use (none when an existing split was reused).</param>
/// <param name="Duplicates">Duplicate groups kept in one split (none when an existing split was reused).</param>
/// <param name="Reused">True when an existing <c>split.csv</c> was read instead of splitting.</param>
public sealed record RunData(SplitManifest Split, string Source, IReadOnlyList<SkippedFile> Skipped, IReadOnlyList<DuplicateGroup> Duplicates, bool Reused)
{
    /// <summary>Reads <paramref name="existingSplit"/> when it exists, else discovers and splits the options' data.</summary>
    /// <param name="options">Data, seed, split ratios, strictness and workers.</param>
    /// <param name="existingSplit">A <c>split.csv</c> to reuse when present, or null to always split.</param>
    /// <param name="cancellationToken">Stops discovery and hashing.</param>
    /// <exception cref="HoldoutException">The data cannot be read or split.</exception>
    public static RunData Prepare(TrainRunOptions options, string? existingSplit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var source = options.Data ?? SampleData.Locate();
        if (existingSplit is not null && File.Exists(existingSplit))
            return new RunData(SplitManifest.Read(existingSplit), source, [], [], Reused: true);
        var dataset = DatasetDiscovery.Discover(source, new DiscoveryOptions(options.Strict, options.Workers), cancellationToken);
        var split = Splitter.Split(dataset, new SplitOptions(SplitRatios.Parse(options.Split), options.Seed), cancellationToken);
        return new RunData(split.Manifest, source, dataset.Skipped, split.Duplicates.Groups, Reused: false);
    }
}
