using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Training;
using static TorchSharp.torch;

namespace Holdout.Runs;

/// <summary>
/// Writes the run's <c>best</c> and <c>last</c> model bundles (atomically), with the training state in <c>last</c>'s
/// metadata (phase, epochs done, callback state, history) and the optimiser state beside it, and restores them for
/// <c>--resume</c>.
/// </summary>
internal sealed class Checkpoints(RunFiles files, ImageClassifier model, TrainRunOptions options, Recipe plan)
{
    private Trainer? _trainer;

    public int CurrentPhase { get; set; }

    public void Attach(Trainer trainer) => _trainer = trainer;

    /// <summary>The <see cref="ModelCheckpoint"/> save action.</summary>
    public void Save(string kind, EpochLogs logs)
    {
        var metadata = new JsonObject
        {
            ["kind"] = kind,
            ["epoch"] = logs.Epoch,
            ["logs"] = JsonSerializer.SerializeToNode(logs.Values),
            ["options"] = JsonSerializer.SerializeToNode(options, RunConfig.Json),
            ["class_weights"] = _trainer?.Loss.ClassWeights is { } weights ? new JsonArray([.. weights.Select(w => (JsonNode)w)]) : null,
        };
        if (kind == "best")
        {
            ModelBundle.Save(files.Best, model, metadata);
            return;
        }
        var trainer = _trainer!;
        metadata["training"] = new JsonObject
        {
            ["phase"] = CurrentPhase,
            ["epochs_done_in_phase"] = trainer.Context.CompletedEpochs - plan.EpochsBefore(CurrentPhase),
            ["completed_epochs"] = trainer.Context.CompletedEpochs,
            ["callbacks"] = trainer.SaveCallbackState(),
            ["history"] = JsonSerializer.SerializeToNode(trainer.History.Epochs, RunConfig.Json),
        };
        // Optimiser state first: a crash between the two leaves the older bundle, whose epoch count the
        // optimiser file does not match only if the bundle is newer, which this order prevents.
        trainer.SaveOptimizerState(files.LastOptimizer);
        ModelBundle.Save(files.Last, model, metadata);
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
