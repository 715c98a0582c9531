using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// The whole <c>holdout train</c> job as a library call: discover the images, split them without leakage (or reuse
/// the run's <c>split.csv</c>), build the model with its own preprocessing, train with the recipe, keep the best and
/// last checkpoints, evaluate the test split once with the best weights, and write the run folder
/// (<c>config.json</c>, <c>split.csv</c>, <c>history.csv</c>, <c>best.holdout</c>, <c>last.holdout</c>,
/// <c>summary.json</c>, <c>train.log</c>, <c>report.html</c>).
/// </summary>
public static class TrainingRun
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(OptionNames.Policy) },
    };

    /// <summary>Runs a new training job.</summary>
    /// <param name="options">What to train and how.</param>
    /// <param name="hooks">Progress display, log lines and the command line to record. Defaults to none.</param>
    /// <param name="cancellationToken">Interrupts training between batches; the last completed epoch stays resumable.</param>
    public static TrainingRunResult Start(TrainRunOptions options, TrainingRunHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        var files = options.Out is null ? RunFiles.CreateNew("runs", ModelFactory.CliName(options.Model)) : new RunFiles(options.Out);
        if (File.Exists(files.Config))
            throw new HoldoutException($"The run folder '{files.Folder}' already holds a run. Continue it with --resume {files.Folder}, or choose another --out.");
        return Execute(options, files, resuming: false, hooks ?? new TrainingRunHooks(), cancellationToken);
    }

    /// <summary>Continues an interrupted run from its last checkpoint, with the options it was started with.</summary>
    /// <param name="runFolder">The run folder.</param>
    /// <param name="hooks">Progress display and log lines. Defaults to none.</param>
    /// <param name="cancellationToken">Interrupts training between batches.</param>
    public static TrainingRunResult Resume(string runFolder, TrainingRunHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        var files = new RunFiles(runFolder);
        if (!File.Exists(files.Config))
            throw new HoldoutException($"'{runFolder}' is not a run folder: it has no config.json. Pass the folder 'holdout train' created (e.g. runs/20261129-101500-resnet18).");
        var config = JsonNode.Parse(File.ReadAllText(files.Config))!.AsObject();
        var options = config["options"].Deserialize<TrainRunOptions>(Json)
            ?? throw new HoldoutException($"'{files.Config}' has no options section; it was not written by holdout train.");
        return Execute(options with { Out = runFolder }, files, resuming: true, hooks ?? new TrainingRunHooks(), cancellationToken);
    }

    private static TrainingRunResult Execute(TrainRunOptions options, RunFiles files, bool resuming, TrainingRunHooks hooks, CancellationToken cancellationToken)
    {
        NativeRuntime.EnsureInitialized();
        Validate(options);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(files.Folder);
        using var log = new RunLog(files.Log, hooks.Log);
        var dataPath = options.Data ?? SampleData.Locate();

        // Data: the run's own split.csv when there is one (a run never re-splits silently), else a fresh split.
        SplitManifest manifest;
        IReadOnlyList<SkippedFile> skipped = [];
        IReadOnlyList<DuplicateGroup> duplicates = [];
        if (File.Exists(files.Split))
        {
            manifest = SplitManifest.Read(files.Split);
            log.Line($"Using the split of this run: {files.Split}");
        }
        else
        {
            var dataset = DatasetDiscovery.Discover(dataPath, new DiscoveryOptions(options.Strict, options.Workers), cancellationToken);
            skipped = dataset.Skipped;
            foreach (var s in skipped) log.Line($"skipped {s.Path}: {s.Reason}");
            var split = Splitter.Split(dataset, new SplitOptions(SplitRatios.Parse(options.Split), options.Seed), cancellationToken);
            manifest = split.Manifest;
            duplicates = split.Duplicates.Groups;
            manifest.Write(files.Split);
        }
        var classes = manifest.ClassNames;
        log.Line($"Data: {dataPath} - {classes.Count} classes ({string.Join(", ", classes)}); " +
                 $"train {manifest.Samples(DataSplit.Train).Count}, validation {manifest.Samples(DataSplit.Validation).Count}, test {manifest.Samples(DataSplit.Test).Count} images");

        torch.manual_seed(Seeds.Derive(options.Seed, 0x1417));
        using var model = ModelFactory.Create(new ModelOptions(options.Model, classes, options.EffectiveImageSize, options.EffectiveWeights, Seed: options.Seed));
        model.FrozenBatchNorm = options.TrainBatchNorm ? BatchNormPolicy.TrainBatchNorm : BatchNormPolicy.FrozenStaysInEval;
        var recipe = options.EffectiveRecipe;
        if (recipe != Recipe.Scratch && model.StageCount == 0)
            throw new HoldoutException($"--recipe {Kebab(recipe)} needs a backbone to freeze, but {ModelFactory.CliName(options.Model)} has none. Use --recipe scratch.");
        log.Line($"Model: {model.Spec.Architecture}, {(model.IsPretrained ? "pretrained (" + model.Spec.WeightsSource + ")" : "random initialisation")}; " +
                 $"input {options.EffectiveImageSize}px {model.Spec.Preprocessing.ColorOrder} {model.Spec.Preprocessing.Scale}; recipe {Kebab(recipe)}");
        if (!resuming) WriteConfig(files, options, hooks.CommandLine, model);

        var pre = model.Spec.Preprocessing;
        var train = Loaders.Training(manifest.Samples(DataSplit.Train), pre, options);
        var validation = Loaders.Evaluation(manifest.Samples(DataSplit.Validation), pre, options);
        if (!File.Exists(files.Preview)) RunPreview.Write(files.Preview, train, classes, cancellationToken);
        var trainingOptions = new TrainingOptions(options.Optimizer, options.WeightDecay, 0.9, LossKind.CrossEntropy, options.LabelSmoothing,
            options.ClassWeights ? Holdout.Data.ClassWeights.InverseFrequency(manifest.Samples(DataSplit.Train), classes.Count) : null, options.Seed);

        var plan = RecipePlan.Create(recipe, options, model);
        var checkpoints = new Checkpoints(files, model, options, plan);
        var callbacks = new List<Callback> { new LogLines(log, plan.TotalEpochs) };
        EarlyStopping? stopping = options.Patience > 0 ? new EarlyStopping(options.Monitor, options.Patience) : null;
        if (stopping is not null) callbacks.Add(stopping);
        if (hooks.Progress is not null) callbacks.Add(hooks.Progress);
        var checkpoint = new ModelCheckpoint(checkpoints.Save, files.Best, options.Monitor, log: log.Line);
        callbacks.Add(checkpoint);
        callbacks.Add(new HistoryCsvWriter(files.History)); // after the checkpoint: history.csv never lists an epoch that cannot be resumed

        // Frozen recipe without augmentation: the backbone's features are computed once and the head trains on them.
        using var head = new HeadModule(model);
        bool cacheFeatures = recipe == Recipe.Frozen && options.Augment == "none" && !options.TrainBatchNorm;
        nn.Module<Tensor, Tensor> trained = cacheFeatures ? head : model;
        using var trainer = new Trainer(trained, trainingOptions, callbacks);
        checkpoints.Attach(trainer);
        trainer.Context.PlannedEpochs = plan.TotalEpochs;

        int startPhase = 0, doneInPhase = 0;
        if (resuming && File.Exists(files.Last))
            (startPhase, doneInPhase) = checkpoints.Restore(trainer, stopping, log);
        else if (resuming)
            log.Line($"{files.Folder} has no completed epoch to resume from; starting its training from epoch 1.");

        // Frozen recipe without augmentation: the backbone's features are computed once, inside the first epoch.
        using var cachedTrain = cacheFeatures ? new FeatureCache(model, Loaders.Evaluation(manifest.Samples(DataSplit.Train), pre, options), options.BatchSize, shuffle: true, Seeds.Derive(options.Seed, 0xfea7), options.DropLast) : null;
        using var cachedValidation = cacheFeatures ? new FeatureCache(model, validation, options.BatchSize, shuffle: false, options.Seed) : null;
        IBatchSource trainSource = cachedTrain ?? (IBatchSource)train, validationSource = cachedValidation ?? (IBatchSource)validation;
        if (cacheFeatures) log.Line("Frozen recipe without augmentation: backbone features are computed once (in epoch 1) and reused.");
        try
        {
            for (int p = startPhase; p < plan.Phases.Count && !trainer.Context.StopTraining; p++)
            {
                var phase = plan.Prepare(p, model, trained);
                checkpoints.CurrentPhase = p;
                log.Line($"Phase '{phase.Name}': {phase.Epochs} epochs, learning rates {string.Join(", ", phase.Groups.Select(g => g.LearningRate.ToString("0.##e+00", System.Globalization.CultureInfo.InvariantCulture)).Distinct())}");
                var resume = p == startPhase && doneInPhase > 0 ? new PhaseResume(doneInPhase, files.LastOptimizer) : null;
                trainer.Fit(trainSource, validationSource, phase, resume, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            log.Line($"Interrupted. The last completed epoch is saved in {files.Last}; continue with: holdout train --resume {files.Folder}");
            throw;
        }
        if (trainer.Context.StopReason is { } reason) log.Line($"Stopped: {reason}");

        // The best weights (restored by early stopping, or loaded from the best checkpoint) are evaluated once on test.
        if (stopping is null && File.Exists(files.Best))
        {
            using var best = ModelBundle.Load(files.Best).Model;
            CopyWeights(best, model);
        }
        var history = trainer.History.Epochs;
        int bestEpoch = checkpoint.BestEpoch;
        var testSource = Loaders.Evaluation(manifest.Samples(DataSplit.Test), pre, options);
        var trainEval = Loaders.Evaluation(manifest.Samples(DataSplit.Train), pre, options);
        var evaluated = new Dictionary<DataSplit, ClassificationMetrics>();
        var predictions = new Dictionary<DataSplit, Predictions>();
        foreach (var (split, source) in new (DataSplit, IBatchSource)[] { (DataSplit.Train, trainEval), (DataSplit.Validation, validation), (DataSplit.Test, testSource) })
        {
            if (source.SampleCount == 0) continue;
            var p = Evaluator.Predict(model, source, cancellationToken: cancellationToken);
            predictions[split] = p;
            evaluated[split] = ClassificationMetrics.Compute(p.Labels, p.Probabilities, classes);
        }
        if (predictions.TryGetValue(DataSplit.Test, out var testPredictions))
            PredictionsCsv.Write(files.TestPredictions, classes, [.. manifest.Samples(DataSplit.Test).Select(s => s.Path)], testPredictions);
        var summary = RunSummary.Create(options, model, recipe, history, bestEpoch, evaluated, trainer, predictions, clock.Elapsed.TotalSeconds, trainer.Context.StopReason, skipped);
        AtomicFile.WriteAllText(files.Summary, summary.ToJsonString(Json));
        Reporting.RunReport.Write(files.Folder);
        log.Line($"Report: {files.Report}");
        if (evaluated.TryGetValue(DataSplit.Test, out var test))
            log.Line($"Test ({test.SampleCount} images, best epoch {bestEpoch}): loss {test.Loss:0.0000} - acc {test.Accuracy:0.0000} - macro_f1 {test.MacroF1:0.0000}");
        var result = new TrainingRunResult(files, summary, evaluated, predictions, manifest, skipped, duplicates, history, bestEpoch);
        hooks.Completed?.Invoke(result, model);
        log.Line($"Run folder: {files.Folder}");
        return result;
    }

    internal static string Kebab<T>(T value) where T : struct, Enum => OptionNames.Of(value);

    private static void Validate(TrainRunOptions o)
    {
        if (o.Epochs < 1) throw new HoldoutException($"--epochs must be at least 1, got {o.Epochs}.");
        if (o.BatchSize < 1) throw new HoldoutException($"--batch-size must be at least 1, got {o.BatchSize}.");
        if (o.EffectiveImageSize < 32) throw new HoldoutException($"--image-size must be at least 32 pixels, got {o.EffectiveImageSize}.");
        if (o.EffectiveLearningRate is <= 0 or > 10) throw new HoldoutException($"--lr must be a positive learning rate such as 1e-3, got {o.EffectiveLearningRate}.");
        if (o.FreezeEpochs < 0 || (o.EffectiveRecipe == Recipe.FineTune && o.FreezeEpochs >= o.Epochs && o.Epochs > 1))
            throw new HoldoutException($"--freeze-epochs ({o.FreezeEpochs}) must be 0 or more and less than --epochs ({o.Epochs}) for the fine-tune recipe.");
        if (o.LearningRateMultiplier < 1) throw new HoldoutException($"--lr-mult must be 1 or more (fastai uses 100), got {o.LearningRateMultiplier}.");
        if (o.Model is Architecture.ResNet34 or Architecture.ResNet50 && o.EffectiveWeights == ModelOptions.BundledWeights)
            throw new HoldoutException($"{ModelFactory.CliName(o.Model)} has no bundled pretrained weights (only resnet18 does). Pass a torchvision-format file with --weights FILE.safetensors, or train from scratch with --weights none.");
        if (o.Patience < 0) throw new HoldoutException($"--patience must be 0 (off) or more epochs, got {o.Patience}.");
    }

    private static void WriteConfig(RunFiles files, TrainRunOptions options, string? commandLine, ImageClassifier model)
    {
        var engine = EngineInfo.Describe();
        var config = new JsonObject
        {
            ["command_line"] = commandLine,
            ["created"] = DateTimeOffset.Now.ToString("O"),
            ["seed"] = options.Seed,
            ["options"] = JsonSerializer.SerializeToNode(options, Json),
            ["effective"] = new JsonObject
            {
                ["data"] = options.Data ?? SampleData.Locate(),
                ["weights"] = options.EffectiveWeights,
                ["recipe"] = Kebab(options.EffectiveRecipe),
                ["image_size"] = options.EffectiveImageSize,
                ["learning_rate"] = options.EffectiveLearningRate,
                ["workers"] = options.Workers > 0 ? options.Workers : Environment.ProcessorCount,
            },
            ["backbone"] = model.Spec.ToJson(),
            ["versions"] = new JsonObject
            {
                ["holdout"] = engine.HoldoutVersion,
                ["dotnet"] = engine.DotNetRuntime,
                ["os"] = engine.OperatingSystem,
                ["torchsharp"] = engine.TorchSharpVersion,
                ["libtorch"] = engine.LibTorchVersion,
                ["threads"] = engine.Threads,
                ["compatibility_loader"] = engine.Native.CompatibilityLoaderUsed,
            },
        };
        AtomicFile.WriteAllText(files.Config, config.ToJsonString(Json));
    }

    internal static void CopyWeights(nn.Module from, nn.Module to)
    {
        using var noGrad = torch.no_grad();
        var source = from.state_dict();
        foreach (var (name, tensor) in to.state_dict()) tensor.copy_(source[name]);
    }
}
