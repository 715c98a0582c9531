using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Training;
using static TorchSharp.torch;

namespace Holdout.Runs;

/// <summary>
/// Writes the run's <c>best</c> and <c>last</c> model bundles (atomically), with the training state in <c>last</c>'s
/// metadata (phase, epochs done, callback state, history, why training stopped) and the optimiser state beside it,
/// and restores them for <c>--resume</c>.
/// </summary>
/// <remarks>
/// The optimiser state of epoch N goes to its own file, <c>last-N.optimizer</c>, written before the bundle that
/// names it; older ones are deleted only after the new bundle is in place. A kill between the two writes therefore
/// leaves the previous bundle with the previous optimiser state, never a model of one epoch with the optimiser
/// moments of the next (which would make the resumed run diverge from an uninterrupted one).
/// </remarks>
internal sealed class Checkpoints(RunFiles files, ImageClassifier model, TrainRunOptions options, Recipe plan)
{
    private Trainer? _trainer;

    public int CurrentPhase { get; set; }

    /// <summary>The optimiser state that goes with the restored <c>last</c> bundle (set by <see cref="Restore"/>).</summary>
    public string? RestoredOptimizerState { get; private set; }

    public void Attach(Trainer trainer) => _trainer = trainer;

    /// <summary>The <see cref="ModelCheckpoint"/> save action.</summary>
    public void Save(string kind, EpochLogs logs)
    {
        var metadata = new JsonObject
        {
            ["kind"] = kind,
            ["epoch"] = logs.Epoch,
            ["logs"] = JsonSerializer.SerializeToNode(logs.Values, RunConfig.Json),
            ["options"] = JsonSerializer.SerializeToNode(options, RunConfig.Json),
            ["class_weights"] = _trainer?.Loss.ClassWeights is { } weights ? new JsonArray([.. weights.Select(w => (JsonNode)w)]) : null,
        };
        if (kind == "best")
        {
            ModelBundle.Save(files.Best, model, metadata);
            return;
        }
        var trainer = _trainer!;
        var optimizerState = files.OptimizerState(trainer.Context.CompletedEpochs);
        metadata["training"] = new JsonObject
        {
            ["phase"] = CurrentPhase,
            ["epochs_done_in_phase"] = trainer.Context.CompletedEpochs - plan.EpochsBefore(CurrentPhase),
            ["completed_epochs"] = trainer.Context.CompletedEpochs,
            ["callbacks"] = trainer.SaveCallbackState(),
            ["history"] = JsonSerializer.SerializeToNode(trainer.History.Epochs, RunConfig.Json),
            ["stop_reason"] = trainer.Context.StopTraining ? trainer.Context.StopReason ?? "stopped" : null,
            ["optimizer_state"] = trainer.Optimizer is null ? null : Path.GetFileName(optimizerState),
        };
        if (trainer.Optimizer is { } optimizer)
        {
            AtomicFile.Write(optimizerState, stream =>
            {
                using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(writer);
            });
        }
        ModelBundle.Save(files.Last, model, metadata);
        foreach (var older in files.OptimizerStates().Where(f => f != optimizerState)) File.Delete(older);
    }

    /// <summary>Loads <c>last</c> into the model and the trainer; returns the phase and the epochs done in it.</summary>
    public (int Phase, int EpochsDone) Restore(Trainer trainer, EarlyStopping? stopping, RunLog log)
    {
        var last = ModelBundle.Load(files.Last);
        using (last.Model)
        {
            TrainingRun.CopyWeights(last.Model, model);
            var training = last.Metadata["training"]?.AsObject()
                ?? throw new HoldoutException($"'{files.Last}' holds no training state, so the run cannot be resumed from it.");
            var history = training["history"].Deserialize<List<EpochRecord>>(RunConfig.Json) ?? [];
            trainer.Restore(training["callbacks"]!.AsObject(), history);
            // A run that had stopped (early stopping, a diverged loss) and was killed before its final evaluation
            // stays stopped: it must not train the epochs it had given up on.
            if (training["stop_reason"]?.GetValue<string>() is { } stopReason)
            {
                trainer.Context.StopTraining = true;
                trainer.Context.StopReason = stopReason;
            }
            RestoredOptimizerState = training["optimizer_state"]?.GetValue<string>() is { } state ? Path.Combine(files.Folder, state) : files.LastOptimizer;
            int phase = training["phase"]!.GetValue<int>();
            int done = training["epochs_done_in_phase"]!.GetValue<int>();
            log.Line($"Resuming {files.Folder} after epoch {history.Count} (phase {phase + 1} of {plan.Phases.Count}, {done} of its {plan.Phases[phase].Epochs} epochs done)");
            if (stopping is not null && File.Exists(files.Best))
            {
                using var best = ModelBundle.Load(files.Best).Model;
                stopping.SetBestWeights(Snapshot(best, trainer.Context.Model));
            }
            if (done >= plan.Phases[phase].Epochs) (phase, done) = (phase + 1, 0);
            return (phase, done);
        }
    }

    /// <summary>The best model's weights under the names of the module being trained (the classifier or its head wrapper).</summary>
    private static Dictionary<string, Tensor> Snapshot(ImageClassifier best, nn.Module trained)
    {
        var source = best.state_dict();
        var result = new Dictionary<string, Tensor>();
        foreach (var name in trained.state_dict().Keys)
        {
            var key = source.ContainsKey(name) ? name : name[(name.IndexOf('.') + 1)..];
            result[name] = source[key].detach().clone().DetachFromDisposeScope();
        }
        return result;
    }
}
