using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>What a finished <see cref="TrainingRun"/> produced.</summary>
/// <param name="Folder">The run folder.</param>
/// <param name="Summary">The content of <c>summary.json</c>.</param>
/// <param name="Metrics">Metrics of the best weights per split (train evaluated without augmentation).</param>
/// <param name="Predictions">The predictions behind <paramref name="Metrics"/>, in each split's sample order.</param>
/// <param name="Split">The split the run used.</param>
/// <param name="Skipped">Files that could not be read and were skipped.</param>
/// <param name="Duplicates">Duplicate groups found while splitting.</param>
/// <param name="History">Every epoch.</param>
/// <param name="BestEpoch">The epoch whose weights were kept (1-based; 0 if none improved).</param>
public sealed record TrainingRunResult(
    string Folder,
    JsonObject Summary,
    IReadOnlyDictionary<DataSplit, ClassificationMetrics> Metrics,
    IReadOnlyDictionary<DataSplit, Predictions> Predictions,
    SplitManifest Split,
    IReadOnlyList<SkippedFile> Skipped,
    IReadOnlyList<DuplicateGroup> Duplicates,
    IReadOnlyList<EpochRecord> History,
    int BestEpoch)
{
    /// <summary>The run folder's files.</summary>
    internal RunFiles Files => new(Folder);
}
