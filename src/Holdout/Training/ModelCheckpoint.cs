namespace Holdout.Training;

/// <summary>
/// Saves the model when the monitored metric improves (<c>best</c>) and after every epoch (<c>last</c>, which is what
/// <c>--resume</c> continues from). The saving itself is given as a delegate, so the caller decides the format
/// (Holdout's CLI writes model bundles atomically); this callback decides when, and says so in Keras's words.
/// Put it after the other callbacks so that the <c>last</c> checkpoint captures their state for the epoch.
/// </summary>
public sealed class ModelCheckpoint : MetricMonitor
{
    private readonly Action<string, EpochLogs> _save;
    private readonly Action<string>? _log;

    /// <summary>Creates the callback.</summary>
    /// <param name="save">Writes a checkpoint: called with <c>"best"</c> or <c>"last"</c> and the epoch's logs.</param>
    /// <param name="bestPath">Where the best checkpoint goes, for the log line.</param>
    /// <param name="monitor">The metric that decides the best epoch. Defaults to <c>val_loss</c>.</param>
    /// <param name="mode">Whether lower or higher is better. Defaults to inferring it from the name.</param>
    /// <param name="saveLast">Also save after every epoch. Defaults to true.</param>
    /// <param name="log">Receives lines such as <c>val_loss improved from 0.2011 to 0.1877, saving model to best.holdout</c>.</param>
    public ModelCheckpoint(Action<string, EpochLogs> save, string bestPath, string monitor = "val_loss", MonitorMode mode = MonitorMode.Auto,
        bool saveLast = true, Action<string>? log = null)
        : base(monitor, mode, 0)
    {
        _save = save;
        _log = log;
        BestPath = bestPath;
        SaveLast = saveLast;
    }

    /// <summary>Where the best checkpoint goes.</summary>
    public string BestPath { get; }

    /// <summary>Whether a checkpoint is saved after every epoch.</summary>
    public bool SaveLast { get; }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
    {
        double previous = Best;
        if (RecordIfImproved(logs))
        {
            _log?.Invoke($"{Monitor} improved from {Format(previous)} to {Format(Best)}, saving model to {BestPath}");
            _save("best", logs);
        }
        else
        {
            _log?.Invoke($"{Monitor} did not improve from {Format(Best)}");
        }
        if (SaveLast) _save("last", logs);
    }
}
