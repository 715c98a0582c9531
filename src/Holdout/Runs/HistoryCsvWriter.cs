using Holdout.Training;

namespace Holdout.Runs;

/// <summary>Rewrites <c>history.csv</c> (atomically) after every epoch, so it is complete even if the run is killed.</summary>
internal sealed class HistoryCsvWriter(string path) : Callback
{
    /// <summary>The file written.</summary>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochLogs logs) => HistoryCsv.Write(Path, context.History.Epochs);
}
