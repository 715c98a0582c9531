namespace Holdout.Training;

/// <summary>Records every epoch's logs; always attached by <see cref="Trainer"/>.</summary>
public sealed class History : Callback
{
    private readonly List<EpochRecord> _epochs = [];

    /// <summary>The epochs so far, in order.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochLogs logs) => _epochs.Add(logs.ToRecord());

    /// <summary>Replaces the history with <paramref name="epochs"/> (when resuming).</summary>
    public void Restore(IEnumerable<EpochRecord> epochs)
    {
        _epochs.Clear();
        _epochs.AddRange(epochs);
    }
}
