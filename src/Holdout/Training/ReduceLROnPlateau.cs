using System.Globalization;
using System.Text.Json.Nodes;

namespace Holdout.Training;

/// <summary>
/// Multiplies the learning rate by <see cref="Factor"/> when the monitored metric has not improved for
/// <see cref="Patience"/> epochs (on top of the schedule), down to <see cref="MinScale"/>.
/// </summary>
public sealed class ReduceLROnPlateau : MetricMonitor
{
    private readonly Action<string>? _log;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The metric to watch. Defaults to <c>val_loss</c>.</param>
    /// <param name="factor">The multiplier applied on a plateau (0..1). Defaults to 0.1.</param>
    /// <param name="patience">Epochs without improvement before reducing. Defaults to 2.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement. Defaults to 1e-4.</param>
    /// <param name="minScale">The smallest overall multiplier. Defaults to 1e-3.</param>
    /// <param name="mode">Whether lower or higher is better. Defaults to inferring it from the name.</param>
    /// <param name="log">Receives a line when the learning rate is reduced.</param>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 2, double minDelta = 1e-4,
        double minScale = 1e-3, MonitorMode mode = MonitorMode.Auto, Action<string>? log = null)
        : base(monitor, mode, minDelta)
    {
        if (factor is <= 0 or >= 1) throw new HoldoutException($"ReduceLROnPlateau factor must be between 0 and 1 (exclusive), got {factor}.");
        Factor = factor;
        Patience = patience;
        MinScale = minScale;
        _log = log;
    }

    /// <summary>The multiplier applied on a plateau.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement before reducing.</summary>
    public int Patience { get; }

    /// <summary>The smallest overall multiplier.</summary>
    public double MinScale { get; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
    {
        if (RecordIfImproved(logs))
        {
            Wait = 0;
            return;
        }
        if (++Wait <= Patience) return;
        double scale = Math.Max(MinScale, context.LearningRateScale * Factor);
        if (scale < context.LearningRateScale)
        {
            context.LearningRateScale = scale;
            _log?.Invoke($"ReduceLROnPlateau: {Monitor} has not improved for {Wait - 1} epochs; learning rate x{scale.ToString("G3", CultureInfo.InvariantCulture)}");
        }
        Wait = 0;
    }

    /// <inheritdoc/>
    public override JsonObject? SaveState()
    {
        var state = base.SaveState()!;
        state["wait"] = Wait;
        return state;
    }

    /// <inheritdoc/>
    public override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        Wait = state["wait"]!.GetValue<int>();
    }
}
