using System.Globalization;

namespace Holdout.Training;

/// <summary>
/// The metrics of one epoch, by Keras's names: <c>loss</c>, <c>acc</c>, <c>val_loss</c>, <c>val_acc</c>, <c>lr</c>,
/// <c>seconds</c>. Callbacks read them (and may add their own) in <see cref="Callback.OnEpochEnd"/>.
/// </summary>
public sealed class EpochLogs
{
    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

    /// <summary>The 1-based epoch these logs belong to.</summary>
    public int Epoch { get; }

    /// <summary>Creates empty logs for <paramref name="epoch"/> (1-based).</summary>
    public EpochLogs(int epoch) => Epoch = epoch;

    /// <summary>A metric by name; throws a clear error when it is absent.</summary>
    public double this[string name]
    {
        get => _values.TryGetValue(name, out var value)
            ? value
            : throw new HoldoutException($"The epoch logs have no metric '{name}'. Available: {string.Join(", ", _values.Keys)}. " +
                                         "Use one of those as the monitored metric (e.g. --monitor val_loss).");
        set => _values[name] = value;
    }

    /// <summary>Whether a metric is present.</summary>
    public bool Contains(string name) => _values.ContainsKey(name);

    /// <summary>All metrics, by name.</summary>
    public IReadOnlyDictionary<string, double> Values => _values;

    /// <summary>The record written to <c>history.csv</c>.</summary>
    public EpochRecord ToRecord() => new(Epoch, Get("loss"), Get("acc"), Get("val_loss"), Get("val_acc"), Get("lr"), Get("seconds"));

    private double Get(string name) => _values.GetValueOrDefault(name, double.NaN);

    /// <summary>
    /// The epoch as Keras prints it, one plain line:
    /// <c>Epoch 3/20 - 41s 1.2s/step - loss: 0.2141 - acc: 0.9312 - val_loss: 0.1877 - val_acc: 0.9401 - lr: 1.00e-03</c>.
    /// </summary>
    /// <param name="plannedEpochs">Total epochs planned, for <c>Epoch e/N</c>.</param>
    /// <param name="steps">Training steps in the epoch, for the s/step figure.</param>
    public string ToKerasLine(int plannedEpochs, int steps) => KerasLogFormat.EpochLine(this, plannedEpochs, steps);

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(" - ", _values.Select(kv => $"{kv.Key}: {kv.Value.ToString("0.0000", CultureInfo.InvariantCulture)}"));
}
