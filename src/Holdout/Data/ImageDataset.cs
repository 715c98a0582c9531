using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>
/// The usable images of a dataset with their labels, its class names (sorted, ordinal) and the files that were
/// skipped because they cannot be read. Created by <see cref="DatasetDiscovery"/> or from a split manifest.
/// </summary>
/// <param name="Root">The folder or CSV file the dataset was read from.</param>
/// <param name="Layout">How it was laid out.</param>
/// <param name="ClassNames">Class names; a sample's label indexes this list.</param>
/// <param name="Samples">The usable images, in a stable order (sorted by path within each class folder).</param>
/// <param name="Skipped">Files left out, with the reason.</param>
public sealed record ImageDataset(
    string Root,
    DatasetLayout Layout,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<ImageSample> Samples,
    IReadOnlyList<SkippedFile> Skipped)
{
    /// <summary>
    /// What discovery measured on each usable image in the one decode that checked it (fingerprint, format, size,
    /// statistics), by full path. The <see cref="Splitter"/> and the data audit take fingerprints and statistics
    /// from here instead of decoding again. Empty for a dataset built by hand; anything missing is measured when
    /// needed.
    /// </summary>
    internal IReadOnlyDictionary<string, ImageProperties> Properties { get; init; } = new Dictionary<string, ImageProperties>(StringComparer.Ordinal);

    /// <summary>True when the layout or manifest assigned every sample to a split.</summary>
    public bool HasGivenSplit => Samples.Count > 0 && Samples.Any(s => s.GivenSplit is not null);

    /// <summary>Number of samples per class, indexed by label.</summary>
    public int[] CountsPerClass()
    {
        var counts = new int[ClassNames.Count];
        foreach (var sample in Samples)
        {
            counts[sample.Label]++;
        }
        return counts;
    }

    /// <summary>The samples of one given split, in dataset order.</summary>
    /// <param name="split">The split.</param>
    public IReadOnlyList<ImageSample> InSplit(DataSplit split) => Samples.Where(s => s.GivenSplit == split).ToList();
}
