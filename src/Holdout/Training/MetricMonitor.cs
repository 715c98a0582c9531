using System.Globalization;
using System.Text.Json.Nodes;

namespace Holdout.Training;

/// <summary>
/// The shared part of <see cref="EarlyStopping"/> and <see cref="ModelCheckpoint"/>:
/// which metric to watch, which direction is better, and by how much it must move to count as an improvement.
/// </summary>
public abstract class MetricMonitor : Callback
{
    /// <summary>Creates a monitor.</summary>
    /// <param name="monitor">The metric to watch. Defaults to <c>val_loss</c>.</param>
    /// <param name="mode">Whether lower or higher is better. Defaults to <see cref="MonitorMode.Auto"/>.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement. Defaults to 0.</param>
    protected MetricMonitor(string monitor, MonitorMode mode, double minDelta)
    {
        Monitor = monitor;
        Mode = mode == MonitorMode.Auto ? InferMode(monitor) : mode;
        MinDelta = Math.Abs(minDelta);
        Best = Mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The metric watched.</summary>
    public string Monitor { get; }

    /// <summary>The direction that counts as better (never Auto).</summary>
    public MonitorMode Mode { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>The best value seen so far.</summary>
    public double Best { get; protected set; }

    /// <summary>The 1-based epoch of <see cref="Best"/>, 0 before any epoch.</summary>
    public int BestEpoch { get; protected set; }

    /// <summary>The mode a metric name implies.</summary>
    public static MonitorMode InferMode(string monitor) =>
        monitor.Contains("acc", StringComparison.OrdinalIgnoreCase) || monitor.Contains("f1", StringComparison.OrdinalIgnoreCase) ||
        monitor.Contains("auc", StringComparison.OrdinalIgnoreCase)
            ? MonitorMode.Max
            : MonitorMode.Min;

    /// <summary>Whether <paramref name="value"/> improves on <see cref="Best"/> by more than <see cref="MinDelta"/>.</summary>
    protected bool IsImprovement(double value) => IsImprovement(value, Best);

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="reference"/> by more than <see cref="MinDelta"/>;
    /// any number improves on a NaN reference (nothing seen yet).</summary>
    protected bool IsImprovement(double value, double reference) =>
        !double.IsNaN(value) && (double.IsNaN(reference) || (Mode == MonitorMode.Min ? value < reference - MinDelta : value > reference + MinDelta));

    /// <summary>
    /// Reads the monitored metric from <paramref name="logs"/>; when it improves on <see cref="Best"/>, records it as
    /// the new best (with its epoch) and returns true.
    /// </summary>
    protected bool RecordIfImproved(EpochLogs logs)
    {
        double value = logs[Monitor];
        if (!IsImprovement(value)) return false;
        Best = value;
        BestEpoch = logs.Epoch;
        return true;
    }

    /// <summary>Formats a metric value the way logs show it.</summary>
    protected static string Format(double value) =>
        double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf") : value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override JsonObject? SaveState() =>
        new() { ["best"] = double.IsFinite(Best) ? Best : null, ["best_epoch"] = BestEpoch };

    /// <inheritdoc/>
    public override void LoadState(JsonObject state)
    {
        var best = state["best"];
        if (best is not null) Best = best.GetValue<double>();
        BestEpoch = state["best_epoch"]!.GetValue<int>();
    }
}
