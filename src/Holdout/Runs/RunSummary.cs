using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Models;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>Builds <c>summary.json</c>: the run's outcome in one document.</summary>
internal static class RunSummary
{
    /// <summary>The document. Each split's <c>loss</c> is the run's own loss (the one <c>val_loss</c> reports).</summary>
    public static JsonObject Create(TrainRunOptions options, ImageClassifier model, Recipe recipe, IReadOnlyList<EpochRecord> history, int bestEpoch,
        IReadOnlyDictionary<DataSplit, ClassificationMetrics> metrics, Trainer trainer, IReadOnlyDictionary<DataSplit, Predictions> predictions,
        double seconds, string? stopReason, IReadOnlyList<SkippedFile> skipped, EvaluationSizeChoice? evaluationSize = null)
    {
        var summary = new JsonObject
        {
            ["classes"] = new JsonArray([.. model.ClassNames.Select(c => (JsonNode)c)]),
            ["model"] = OptionNames.Of(options.Model),
            ["architecture"] = model.Spec.Architecture,
            ["weights"] = options.EffectiveWeights,
            ["recipe"] = OptionNames.Of(recipe.Kind),
            ["precision"] = OptionNames.Of(model.Precision),
            ["seed"] = options.Seed,
            ["epochs_run"] = history.Count,
            ["epochs_planned"] = options.EffectiveEpochs,
            ["best_epoch"] = bestEpoch,
            ["image_size"] = options.EffectiveImageSize,
            ["eval_image_size"] = model.EvaluationSize,
            ["eval_image_size_validation_loss"] = evaluationSize is { ValidationLoss.Count: > 0 } choice
                ? new JsonObject([.. choice.ValidationLoss.Select(c => KeyValuePair.Create(c.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)c.Value))])
                : null,
            ["stop_reason"] = stopReason,
            ["skipped_files"] = skipped.Count,
            ["skipped"] = new JsonArray([.. skipped.Select(s => (JsonNode)new JsonObject { ["path"] = s.Path, ["reason"] = s.Reason })]),
        };
        foreach (var split in new[] { DataSplit.Train, DataSplit.Validation, DataSplit.Test })
        {
            if (!metrics.TryGetValue(split, out var m)) continue;
            var node = new JsonObject { ["images"] = m.SampleCount, ["loss"] = predictions[split].Loss, ["accuracy"] = m.Accuracy };
            if (split == DataSplit.Test)
            {
                var full = JsonNode.Parse(m.ToJson())!.AsObject();
                node["macro_f1"] = m.MacroF1;
                node["per_class"] = full["per_class"]?.DeepClone();
                node["confusion"] = full["confusion"]?.DeepClone();
                node["expected_calibration_error"] = m.ExpectedCalibrationError;
                node["most_confused"] = full["most_confused"]?.DeepClone();
                if (m.RocAuc is { } auc) node["roc_auc"] = auc;
            }
            summary[split.ToName()] = node;
        }
        var (trainImages, trainSeconds) = trainer.TrainThroughput;
        var (evalImages, evalSeconds) = trainer.EvalThroughput;
        double testSeconds = predictions.Values.Sum(p => p.Seconds);
        long testImages = predictions.Values.Sum(p => (long)p.Count);
        summary["throughput"] = new JsonObject
        {
            ["train_images_per_s"] = trainSeconds > 0 ? trainImages / trainSeconds : null,
            ["eval_images_per_s"] = evalSeconds + testSeconds > 0 ? (evalImages + testImages) / (evalSeconds + testSeconds) : null,
            ["train_images_per_s_by_phase"] = new JsonObject([.. trainer.PhaseThroughput.Select(p =>
                KeyValuePair.Create(p.Key, (JsonNode?)(p.Value.Seconds > 0 ? p.Value.Images / p.Value.Seconds : null)))]),
        };
        summary["phases"] = Phases(recipe, history.Count);
        summary["seconds"] = seconds;
        return summary;
    }

    /// <summary>
    /// The recipe's phases with the epochs each covers (1-based, as in <c>history.csv</c>) and how many of them ran
    /// (early stopping can end a phase early and skip the rest).
    /// </summary>
    internal static JsonArray Phases(Recipe recipe, int epochsRun)
    {
        var phases = new JsonArray();
        int first = 1;
        foreach (var phase in recipe.Phases)
        {
            phases.Add(new JsonObject
            {
                ["name"] = phase.Name,
                ["kind"] = phase.LinearProbe ? "linear-probe" : phase.FrozenBackbone ? "head" : "all-layers",
                ["first_epoch"] = first,
                ["epochs"] = phase.Epochs,
                ["epochs_run"] = Math.Clamp(epochsRun - first + 1, 0, phase.Epochs),
            });
            first += phase.Epochs;
        }
        return phases;
    }
}
