using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// Stops training when the monitored metric has not improved for <see cref="Patience"/> epochs, and (by default)
/// puts back the weights of the best epoch when training ends, so the model you get is the one that validated best.
/// </summary>
/// <remarks>
/// Patience counts within a phase (one <see cref="Trainer.Fit"/> call): an epoch that improves on the best of its own
/// phase resets the count, even when it does not beat an earlier phase. Unfreezing the backbone after a fitted head
/// makes the first all-layers epochs worse before the learning-rate schedule anneals them into the best ones, so a
/// count carried over from the head phase would stop the run just before that (Keras's <c>start_from_epoch</c>
/// serves the same purpose). The best weights restored at the end are those of the best epoch over all phases.
/// </remarks>
/// <example><code>new EarlyStopping(monitor: "val_loss", patience: 3)</code></example>
public sealed class EarlyStopping : MetricMonitor, IDisposable
{
    private Dictionary<string, Tensor>? _bestWeights;
    private string? _phase;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The metric to watch. Defaults to <c>val_loss</c>.</param>
    /// <param name="patience">Epochs without improvement before stopping. Defaults to 3.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement. Defaults to 0.</param>
    /// <param name="mode">Whether lower or higher is better. Defaults to inferring it from the name.</param>
    /// <param name="restoreBestWeights">Put the best epoch's weights back at the end. Defaults to true.</param>
    public EarlyStopping(string monitor = "val_loss", int patience = 3, double minDelta = 0, MonitorMode mode = MonitorMode.Auto, bool restoreBestWeights = true)
        : base(monitor, mode, minDelta)
    {
        if (patience < 0) throw new HoldoutException($"Early-stopping patience must be 0 or more epochs, got {patience}.");
        Patience = patience;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }

    /// <summary>Whether the best epoch's weights are put back when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>The 1-based epoch at which training was stopped, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The best value of the monitored metric in the current phase (what resets <see cref="Wait"/>).</summary>
    public double PhaseBest { get; private set; } = double.NaN;

    /// <inheritdoc/>
    /// <remarks>A new phase (a phase name other than the last one seen) starts a new patience count; a run resumed inside
    /// a phase keeps its count.</remarks>
    public override void OnTrainBegin(TrainingContext context)
    {
        if (context.Phase == _phase) return;
        _phase = context.Phase;
        PhaseBest = double.NaN;
        Wait = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
    {
        // An overall improvement is also one within the phase (the phase's best is never better than the overall best).
        bool improvedInPhase = IsImprovement(logs[Monitor], PhaseBest);
        if (improvedInPhase) PhaseBest = logs[Monitor];
        if (RecordIfImproved(logs) && RestoreBestWeights) ReplaceBestWeights(context.SnapshotWeights());
        if (improvedInPhase)
        {
            Wait = 0;
            return;
        }
        Wait++;
        if (Wait > Patience && !context.StopTraining)
        {
            StoppedEpoch = logs.Epoch;
            context.StopTraining = true;
            context.StopReason = PhaseBest.Equals(Best)
                ? $"early stopping: {Monitor} did not improve on {Format(Best)} (epoch {BestEpoch}) for {Wait} epochs"
                : $"early stopping: {Monitor} did not improve on this phase's best, {Format(PhaseBest)}, for {Wait} epochs (the best: {Format(Best)}, epoch {BestEpoch})";
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context)
    {
        if (RestoreBestWeights && _bestWeights is not null && BestEpoch != context.CompletedEpochs)
            context.RestoreWeights(_bestWeights);
    }

    /// <summary>Gives the best epoch's weights (when resuming from a checkpoint that holds them).</summary>
    public void SetBestWeights(Dictionary<string, Tensor> weights) => ReplaceBestWeights(weights);

    /// <inheritdoc/>
    public override JsonObject? SaveState()
    {
        var state = base.SaveState()!;
        state["wait"] = Wait;
        state["stopped_epoch"] = StoppedEpoch;
        state["phase"] = _phase;
        state["phase_best"] = double.IsFinite(PhaseBest) ? PhaseBest : null;
        return state;
    }

    /// <inheritdoc/>
    public override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        Wait = state["wait"]!.GetValue<int>();
        StoppedEpoch = state["stopped_epoch"]!.GetValue<int>();
        // Checkpoints written before patience counted per phase have neither: the count then restarts with the next phase.
        _phase = state["phase"]?.GetValue<string>();
        PhaseBest = state["phase_best"]?.GetValue<double>() ?? double.NaN;
    }

    private void ReplaceBestWeights(Dictionary<string, Tensor> weights)
    {
        if (_bestWeights is not null) foreach (var t in _bestWeights.Values) t.Dispose();
        _bestWeights = weights;
    }

    /// <inheritdoc/>
    public void Dispose() => ReplaceBestWeights([]);
}
