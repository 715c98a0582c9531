using System.Globalization;

namespace Holdout.Training;

/// <summary>
/// Formats epoch logs as Keras prints them, one plain line per epoch for logs, pipes and CI:
/// <c>Epoch 3/20 - 41s 1.2s/step - loss: 0.2141 - acc: 0.9312 - val_loss: 0.1877 - val_acc: 0.9401 - lr: 1.00e-03</c>.
/// </summary>
internal static class KerasLogFormat
{
    private static readonly string[] Order = ["loss", "acc", "val_loss", "val_acc"];

    /// <summary>The line for one epoch.</summary>
    /// <param name="logs">The epoch's logs.</param>
    /// <param name="plannedEpochs">Total epochs planned, for <c>Epoch e/N</c>.</param>
    /// <param name="steps">Training steps in the epoch, for the s/step figure.</param>
    public static string EpochLine(EpochLogs logs, int plannedEpochs, int steps)
    {
        var c = CultureInfo.InvariantCulture;
        double seconds = logs.Contains("seconds") ? logs["seconds"] : double.NaN;
        var parts = new List<string>
        {
            $"Epoch {logs.Epoch}/{plannedEpochs}",
            $"{Math.Round(seconds).ToString(c)}s {StepTime(seconds / Math.Max(1, steps))}/step",
        };
        foreach (var name in Order.Where(logs.Contains)) parts.Add($"{name}: {logs[name].ToString("0.0000", c)}");
        foreach (var (name, value) in logs.Values.Where(kv => !Order.Contains(kv.Key) && kv.Key is not ("lr" or "seconds")))
            parts.Add($"{name}: {value.ToString("0.0000", c)}");
        if (logs.Contains("lr")) parts.Add($"lr: {logs["lr"].ToString("0.00e+00", c)}");
        return string.Join(" - ", parts);
    }

    /// <summary>A per-step time the way Keras shows it: <c>1.2s</c> or <c>85ms</c>.</summary>
    public static string StepTime(double seconds) =>
        double.IsNaN(seconds) ? "?"
        : seconds >= 1 ? seconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
        : (seconds * 1000).ToString("0", CultureInfo.InvariantCulture) + "ms";
}
