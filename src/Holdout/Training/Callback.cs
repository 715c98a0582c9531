namespace Holdout.Training;

/// <summary>
/// A hook into <see cref="Trainer"/>'s loop, in Keras's shape: train begin, then per epoch begin, batch ends, epoch
/// end (with the epoch's logs, validation metrics merged in with a <c>val_</c> prefix), then train end. A callback may
/// stop training by setting <see cref="TrainingContext.StopTraining"/>; nothing else.
/// </summary>
public abstract class Callback
{
    /// <summary>Called once before the first epoch of a <see cref="Trainer.Fit"/> call.</summary>
    public virtual void OnTrainBegin(TrainingContext context) { }

    /// <summary>Called before each epoch's first batch.</summary>
    public virtual void OnEpochBegin(TrainingContext context, int epoch) { }

    /// <summary>Called after each training batch.</summary>
    public virtual void OnBatchEnd(TrainingContext context, BatchLogs logs) { }

    /// <summary>Called after the epoch's validation pass with its logs.</summary>
    public virtual void OnEpochEnd(TrainingContext context, EpochLogs logs) { }

    /// <summary>Called once when a <see cref="Trainer.Fit"/> call ends (normally or stopped).</summary>
    public virtual void OnTrainEnd(TrainingContext context) { }

    /// <summary>This callback's state for a checkpoint, so that a resumed run continues exactly; null when stateless.</summary>
    public virtual System.Text.Json.Nodes.JsonObject? SaveState() => null;

    /// <summary>Restores what <see cref="SaveState"/> returned.</summary>
    public virtual void LoadState(System.Text.Json.Nodes.JsonObject state) { }
}
