using Holdout.Inference;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Diagnostics;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Models;
using Holdout.Native;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// <c>holdout evaluate</c> as a library call: evaluates a run's best model on a split of its own <c>split.csv</c>, or
/// on other labelled images with the same classes, exactly as the run evaluated its test split (through
/// <see cref="RunSetup.ForModel"/>: the bundle's own preprocessing, evaluation loaders in manifest order, the run's
/// batch size and loss, the same <see cref="Evaluator"/> and <see cref="ClassificationMetrics"/>), so it reproduces
/// the metrics in <c>summary.json</c> exactly. An ONNX file written by <c>holdout export</c> is evaluated by
/// <see cref="OnnxEvaluation"/>, which returns the same result; <see cref="Evaluate"/> hands a <c>.onnx</c> path to it.
/// </summary>
public static class RunEvaluation
{
    /// <summary>Evaluates a run (or bundle, or exported <c>.onnx</c> file) on its own split or on the given data.</summary>
    /// <param name="options">Which model, which images, batch size and workers.</param>
    /// <param name="cancellationToken">Stops decoding and evaluation between batches.</param>
    /// <exception cref="HoldoutException">The run, bundle or data cannot be read, the split is empty, or the data's
    /// classes differ from the model's (both sets are listed).</exception>
    public static RunEvaluationResult Evaluate(RunEvaluationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Predictor.IsOnnx(options.Run)) return OnnxEvaluation.Evaluate(options, cancellationToken);
        NativeRuntime.EnsureInitialized();
        var (bundlePath, runFolder) = LocateBundle(options.Run);
        if (runFolder is null && options.Data is null)
            throw new HoldoutException($"'{options.Run}' is a model bundle, which does not know its test images. Pass the images to evaluate with --data DATA, or pass the run folder instead.");
        var files = runFolder is null ? null : new RunFiles(runFolder);
        var bundle = ModelBundle.Load(bundlePath);
        using var model = bundle.Model;
        var trainOptions = files is not null && File.Exists(files.Config) ? RunConfig.Read(files.Config).Options : BundleOptions(bundle);
        trainOptions = trainOptions with { BatchSize = options.BatchSize ?? trainOptions.BatchSize, Workers = options.Workers };
        model.Precision = PrecisionChoices.Choose(model, options.Precision ?? RunPrecision(runFolder), PrecisionWorkload.Inference, trainOptions.BatchSize, model.EvaluationSize).Precision;
        var manifest = files is not null && File.Exists(files.Split) ? SplitManifest.Read(files.Split) : null;
        using var setup = RunSetup.ForModel(model, trainOptions, manifest, manifest is null ? BundleClassWeights(bundle) : null);
        var classes = model.ClassNames;
        var (samples, source, split, skipped) = options.Data is null
            ? OwnSplit(files!, manifest, options.Split ?? DataSplit.Test, classes)
            : GivenData(options.Data, options.Split, options.Workers, classes, cancellationToken);

        var predictions = Evaluator.Predict(model, setup.Evaluation(samples), setup.Loss, cancellationToken: cancellationToken);
        var metrics = predictions.Metrics(classes);
        var recorded = options.Data is null && split is { } s ? Recorded(files!, s) : null;
        return new RunEvaluationResult(bundlePath, runFolder, source, split, [.. samples.Select(x => x.Path)], predictions, metrics, skipped)
        {
            RecordedAccuracy = recorded?.Accuracy,
            RecordedLoss = recorded?.Loss,
        };
    }

    /// <summary>
    /// The precision a run trained and evaluated in (<c>config.json</c>'s effective precision; float32 for runs made
    /// before the option existed), or <see cref="Precision.Auto"/> without a run folder.
    /// </summary>
    /// <param name="runFolder">A run folder, or null.</param>
    internal static Precision RunPrecision(string? runFolder) => RunFolderModel.RecordedPrecision(runFolder);

    /// <summary>The training options a bundle's metadata records (what <c>holdout train</c> saved), or the defaults.</summary>
    private static TrainRunOptions BundleOptions(LoadedBundle bundle)
    {
        try
        {
            return bundle.Metadata["options"]?.Deserialize<TrainRunOptions>(RunConfig.Json) ?? new TrainRunOptions();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return new TrainRunOptions();
        }
    }

    private static float[]? BundleClassWeights(LoadedBundle bundle) =>
        bundle.Metadata["class_weights"] is JsonArray weights ? [.. weights.Select(w => w!.GetValue<float>())] : null;

    /// <summary>
    /// The bundle a path names: a run folder's <c>best.holdout</c> (its <c>last.holdout</c> when no epoch ever improved
    /// the monitored metric, e.g. without validation images: then the run evaluated its last weights too), or the path
    /// itself when it is a bundle file. Returns the bundle and the run folder (null for a bundle file).
    /// </summary>
    /// <param name="runOrBundle">A run folder or a <c>.holdout</c> file.</param>
    /// <exception cref="HoldoutException">The path does not exist, or the folder has no <c>best.holdout</c>.</exception>
    public static (string Bundle, string? RunFolder) LocateBundle(string runOrBundle) => RunFolderModel.Locate(runOrBundle);

    private static (IReadOnlyList<ImageSample>, string, DataSplit?, IReadOnlyList<SkippedFile>) OwnSplit(RunFiles files, SplitManifest? manifest, DataSplit split, IReadOnlyList<string> modelClasses)
    {
        manifest ??= SplitManifest.Read(files.Split);
        RequireSameClasses(manifest.ClassNames, modelClasses, files.Split);
        var samples = Relabel(manifest.Samples(split), manifest.ClassNames, modelClasses);
        if (samples.Count == 0)
            throw new HoldoutException($"The run's split '{files.Split}' has no {split.ToName()} images. Choose another with --split train|val|test.");
        return (samples, files.Split, split, []);
    }

    /// <summary>The labelled images of <paramref name="data"/> to evaluate (a given split, or all of them), checked against the model's classes.</summary>
    internal static (IReadOnlyList<ImageSample> Samples, string Source, DataSplit? Split, IReadOnlyList<SkippedFile> Skipped) GivenData(
        string data, DataSplit? split, int workers, IReadOnlyList<string> modelClasses, CancellationToken cancellationToken)
    {
        var dataset = DatasetDiscovery.Discover(data, new DiscoveryOptions(Strict: false, Workers: workers), cancellationToken);
        RequireSameClasses(dataset.ClassNames, modelClasses, data);
        IReadOnlyList<ImageSample> chosen;
        if (dataset.HasGivenSplit)
        {
            split ??= DataSplit.Test;
            chosen = dataset.InSplit(split.Value);
            if (chosen.Count == 0)
            {
                var present = dataset.Samples.Select(s => s.GivenSplit).OfType<DataSplit>().Distinct().Order().Select(x => x.ToName());
                throw new HoldoutException($"'{data}' has no {split.Value.ToName()} images (it has: {string.Join(", ", present)}). Choose one with --split.");
            }
        }
        else
        {
            if (split is not null)
                throw new HoldoutException($"'{data}' is not split into train/val/test, so --split {split.Value.ToName()} does not apply: every image is evaluated. Leave out --split.");
            chosen = dataset.Samples;
            if (chosen.Count == 0) throw new HoldoutException($"'{data}' has no readable images to evaluate.");
        }
        return (Relabel(chosen, dataset.ClassNames, modelClasses), data, split, dataset.Skipped);
    }

    /// <summary>Refuses data whose class names differ from the model's, listing both sets and the difference.</summary>
    internal static void RequireSameClasses(IReadOnlyList<string> dataClasses, IReadOnlyList<string> modelClasses, string data)
    {
        if (dataClasses.ToHashSet(StringComparer.Ordinal).SetEquals(modelClasses)) return;
        var unknown = dataClasses.Except(modelClasses, StringComparer.Ordinal).ToList();
        var missing = modelClasses.Except(dataClasses, StringComparer.Ordinal).ToList();
        var difference = string.Join("; ", new[]
        {
            unknown.Count > 0 ? $"not classes of the model: {string.Join(", ", unknown)}" : null,
            missing.Count > 0 ? $"missing from the data: {string.Join(", ", missing)}" : null,
        }.OfType<string>());
        throw new HoldoutException(
            $"The classes of '{data}' ({string.Join(", ", dataClasses)}) differ from the model's ({string.Join(", ", modelClasses)}): {difference}. " +
            "Evaluate on images of exactly the model's classes (one folder or label per class, same names).");
    }

    private static List<ImageSample> Relabel(IReadOnlyList<ImageSample> samples, IReadOnlyList<string> dataClasses, IReadOnlyList<string> modelClasses)
    {
        var index = modelClasses.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        return [.. samples.Select(s => s with { Label = index[dataClasses[s.Label]] })];
    }

    private static (double Accuracy, double Loss)? Recorded(RunFiles files, DataSplit split)
    {
        if (!File.Exists(files.Summary)) return null;
        var node = JsonNode.Parse(File.ReadAllText(files.Summary))?[split.ToName()];
        if (node?["accuracy"] is null || node["loss"] is null) return null;
        return (node["accuracy"]!.GetValue<double>(), node["loss"]!.GetValue<double>());
    }
}
