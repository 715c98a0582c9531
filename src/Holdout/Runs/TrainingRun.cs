using System.Diagnostics;
using System.Globalization;
using Holdout.Data;
using Holdout.Distributed;
using Holdout.Metrics;
using Holdout.Models;
using Holdout.Native;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Runs;

/// <summary>
/// The whole <c>holdout train</c> job as a library call: discover the images, split them without leakage (or reuse
/// the run's <c>split.csv</c>), build the <see cref="RunSetup"/> (model with its own preprocessing, loaders, loss,
/// recipe), train with the recipe, keep the best and last checkpoints, evaluate every split once with the best
/// weights, and write the run folder (<c>config.json</c>, <c>split.csv</c>, <c>history.csv</c>, <c>best.holdout</c>,
/// <c>last.holdout</c>, <c>summary.json</c>, <c>predictions-test.csv</c>, <c>gradcam/</c> (Grad-CAM overlays of the
/// top-loss test images), <c>train.log</c>, <c>report.html</c> and the TensorBoard event file
/// <c>events.out.tfevents.&lt;time&gt;.&lt;host&gt;.holdout</c>, one more per resumed session).
/// </summary>
/// <remarks>
/// In a data-parallel job (<see cref="ProcessGroup.Current"/> has several ranks) every rank calls the same method with
/// the same options: rank 0 owns the run folder and its output; the others train and evaluate their slice of every
/// batch in a scratch folder that is deleted at the end (<see cref="RunRanks"/>).
/// </remarks>
public static class TrainingRun
{
    /// <summary>Runs a new training job.</summary>
    /// <param name="options">What to train and how.</param>
    /// <param name="hooks">Progress display, log lines and the command line to record. Defaults to none.</param>
    /// <param name="cancellationToken">Interrupts training between batches; the last completed epoch stays resumable.</param>
    /// <exception cref="HoldoutException">An option is invalid, the data cannot be used, the run folder already holds a
    /// run, or another process is training into it.</exception>
    public static TrainingRunResult Start(TrainRunOptions options, TrainingRunHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var group = ProcessGroup.Current;
        if (!group.IsRoot) return Follow(group, options, resume: false, hooks, cancellationToken);
        var files = options.Out is null ? RunFiles.CreateNew("runs", OptionNames.Of(options.Model)) : new RunFiles(options.Out);
        using var runLock = RunLock.Acquire(files.Folder);
        if (File.Exists(files.Config))
            throw new HoldoutException($"The run folder '{files.Folder}' already holds a run. Continue it with --resume {files.Folder}, or choose another --out.");
        RunRanks.ShareCheckpointFiles(group, files);
        return Execute(options, files, startedWith: null, hooks ?? new TrainingRunHooks(), runLock, cancellationToken);
    }

    /// <summary>Continues an interrupted run from its last checkpoint, with the options it was started with.</summary>
    /// <param name="runFolder">The run folder.</param>
    /// <param name="hooks">Progress display and log lines. Defaults to none.</param>
    /// <param name="cancellationToken">Interrupts training between batches.</param>
    /// <exception cref="HoldoutException">The folder is not a run folder, its files are damaged, or another process is training into it.</exception>
    public static TrainingRunResult Resume(string runFolder, TrainingRunHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        var group = ProcessGroup.Current;
        if (!group.IsRoot) return Follow(group, null, resume: true, hooks, cancellationToken);
        var files = new RunFiles(runFolder);
        var config = RunConfig.Read(files.Config);
        using var runLock = RunLock.Acquire(files.Folder);
        RunRanks.ShareCheckpointFiles(group, files);
        return Execute(config.Options with { Out = runFolder }, files, startedWith: config, hooks ?? new TrainingRunHooks(), runLock, cancellationToken);
    }

    /// <summary>A rank other than 0: the same job in a scratch folder that receives rank 0's checkpoint files and split.</summary>
    private static TrainingRunResult Follow(ProcessGroup group, TrainRunOptions? options, bool resume, TrainingRunHooks? hooks, CancellationToken cancellationToken)
    {
        var scratch = RunRanks.CreateScratch(group);
        try
        {
            var files = new RunFiles(scratch);
            using var runLock = RunLock.Acquire(files.Folder);
            RunRanks.ShareCheckpointFiles(group, files);
            var config = resume ? RunConfig.Read(files.Config) : null;
            var own = (config?.Options ?? options!) with { Out = scratch };
            return Execute(own, files, config, hooks ?? new TrainingRunHooks(), runLock, cancellationToken);
        }
        finally
        {
            RunRanks.DeleteScratch(scratch);
        }
    }

    private static TrainingRunResult Execute(TrainRunOptions options, RunFiles files, RunConfig? startedWith, TrainingRunHooks hooks, RunLock runLock, CancellationToken cancellationToken)
    {
        using var log = new RunLog(files.Log, hooks.Log);
        if (runLock.TakeoverNote is { } note) log.Line(note);
        try
        {
            return Run(options, files, startedWith, hooks, log, cancellationToken);
        }
        catch (OperationCanceledException) when (File.Exists(files.Config))
        {
            log.Line(File.Exists(files.Last)
                ? $"Interrupted. The last completed epoch is saved in {files.Last}; continue with: holdout train --resume {files.Folder}"
                : $"Interrupted before the first epoch was complete; continue with: holdout train --resume {files.Folder}");
            throw;
        }
    }

    private static TrainingRunResult Run(TrainRunOptions options, RunFiles files, RunConfig? startedWith, TrainingRunHooks hooks, RunLog log, CancellationToken cancellationToken)
    {
        bool resuming = startedWith is not null;
        // A budget run that already planned its epochs resumes with that plan, so its schedule is the one it started.
        var plannedEpochs = startedWith?.Document["budget_plan"]?["epochs"]?.GetValue<int>();
        if (plannedEpochs is { } planned) options = options with { Epochs = planned };
        NativeRuntime.EnsureInitialized();
        var group = ProcessGroup.Current;
        bool root = group.IsRoot;
        var clock = Stopwatch.StartNew();
        var weights = ModelFactory.PrefetchWeights(options.Model, options.EffectiveWeights);
        RunRanks.RequireSameOptions(group, options);

        // Data: the run's own split.csv when there is one (a run never re-splits silently), else a fresh split. The other
        // ranks of a data-parallel run take rank 0's.
        RunData? rootData = root ? RunData.Prepare(options, files.Split, cancellationToken) : null;
        if (rootData is { Reused: false }) rootData.Split.Write(files.Split);
        RunRanks.ShareSplit(group, rootData?.Split, files);
        var data = rootData ?? RunData.Prepare(options, files.Split, cancellationToken);
        RunRanks.RequireSame(group, RunRanks.DataHash(data.Split), "images",
            "Give every machine the same images at the same path: a shared folder, or a copy (rsync -a) to the same path.");
        if (data.Reused && root) log.Line($"Using the split of this run: {files.Split}");
        if (group.Size > 1) log.Line(RunRanks.Describe(group, options.BatchSize));
        if (group.Size > options.BatchSize)
            log.Line($"Warning: --batch-size {options.BatchSize} is smaller than the {group.Size} ranks, so some ranks get no image of a batch and wait; use --batch-size {group.Size} or more (it is the global batch).");
        foreach (var s in data.Skipped) log.Line($"skipped {s.Path}: {s.Reason}");
        var manifest = data.Split;
        var classes = manifest.ClassNames;
        log.Line($"Data: {data.Source} - {classes.Count} classes ({string.Join(", ", classes)}); " +
                 $"train {manifest.Samples(DataSplit.Train).Count}, validation {manifest.Samples(DataSplit.Validation).Count}, test {manifest.Samples(DataSplit.Test).Count} images");

        // A resumed run computes in the precision it started with while nothing else about the setup changed, so an
        // auto choice cannot flip between sessions on a timing's noise.
        var keptPrecision = startedWith?.RecordedPrecision(options.Precision) is { } recorded && startedWith.SetupChanges(EngineInfo.Describe(), recorded).Count == 0
            ? new PrecisionChoice(recorded, options.Precision, "as measured when the run started (config.json)")
            : null;
        using var setup = RunSetup.Create(options, manifest, keptPrecision);
        GC.KeepAlive(weights);
        var model = setup.Model;
        var recipe = setup.Recipe;
        BudgetPlan? budgetPlan = null;
        double budgetSpentBefore = 0;
        log.Line($"Model: {model.Spec.Architecture}, {(model.IsPretrained ? "pretrained (" + model.Spec.WeightsSource + ")" : "random initialisation")}; " +
                 $"input {options.EffectiveImageSize}px {setup.Preprocessing.ColorOrder} {setup.Preprocessing.Scale}; recipe {OptionNames.Of(recipe.Kind)}; " +
                 $"precision {setup.PrecisionChoice}");
        if (startedWith is null) RunConfig.Write(files.Config, options, hooks.CommandLine, model, setup.PrecisionChoice);
        else if (startedWith.SetupChanges(EngineInfo.Describe(), model.Precision) is { Count: > 0 } changes)
            log.Line($"Resuming with another setup than the run started with ({string.Join("; ", changes)}): what it computes from here rounds differently, so it will not repeat an uninterrupted run bit for bit.");
        if (startedWith?.Document["distributed"]?["world_size"]?.GetValue<int>() is var ranksBefore && (ranksBefore ?? 1) != group.Size)
            log.Line($"The run started with {ranksBefore ?? 1} rank{((ranksBefore ?? 1) > 1 ? "s" : "")} and continues with {group.Size}: the batches, their order and the schedule are the same; the sums over the ranks round differently.");
        if (root) RunRanks.Record(files.Config, group);
        if (root && !File.Exists(files.Preview)) RunPreview.Write(files.Preview, setup.WholeTrain, classes, cancellationToken);

        var checkpoints = new Checkpoints(files, model, options, recipe);
        var callbacks = new List<Callback> { new LogLines(log, options.Budget is null ? recipe.TotalEpochs : 1) };
        EarlyStopping? stopping = options.Patience > 0 ? new EarlyStopping(options.Monitor, options.Patience) : null;
        if (stopping is not null) callbacks.Add(stopping);
        // Before the progress display (present or not on resume; callback state is matched by position) and before the
        // checkpoint, whose state records the event file's length with the epoch being saved already in it.
        var tensorBoard = new TensorBoardLogger(files.Folder);
        callbacks.Add(tensorBoard);
        if (hooks.Progress is not null) callbacks.Add(hooks.Progress);
        // Only rank 0 saves checkpoints: the other ranks hold the same weights, and take rank 0's at the end.
        var checkpoint = new ModelCheckpoint(root ? checkpoints.Save : (_, _) => { }, files.Best, options.Monitor, log: log.Line);
        callbacks.Add(checkpoint);
        callbacks.Add(new HistoryCsvWriter(files.History)); // after the checkpoint: history.csv never lists an epoch that cannot be resumed

        using var trainer = setup.CreateTrainer(recipe, callbacks);
        checkpoints.Attach(trainer);
        trainer.Context.PlannedEpochs = recipe.TotalEpochs;

        int startPhase = 0, doneInPhase = 0;
        if (resuming && File.Exists(files.Last))
            (startPhase, doneInPhase) = checkpoints.Restore(trainer, stopping, log);
        else if (resuming)
            log.Line($"{files.Folder} has no completed epoch to resume from; starting its training from epoch 1.");
        RunTensorBoard.Begin(tensorBoard, files);

        if (setup.CachesFeatures(recipe)) log.Line("The backbone stays fixed and training is not augmented: each image goes through the backbone once (in epoch 1); the head trains on the features.");
        else if (setup.KeepsBackboneFixed(recipe)) log.Line("The backbone stays fixed: validation and test images go through it once; the head is evaluated on their features.");
        for (int p = startPhase; p < recipe.Phases.Count && !trainer.Context.StopTraining; p++)
        {
            if (p > 0) PausePoint.Reach("phase-boundary");
            var phase = recipe.Phases[p];
            checkpoints.CurrentPhase = p;
            var resume = p == startPhase && doneInPhase > 0 ? new PhaseResume(doneInPhase, checkpoints.RestoredOptimizerState) : null;
            if (phase.LinearProbe)
            {
                var probe = setup.FitProbe(trainer, phase, cancellationToken);
                var last = trainer.History.Epochs[^1];
                log.Line(string.Create(CultureInfo.InvariantCulture,
                    $"Phase '{phase.Name}': fitted to convergence on the features of {manifest.Samples(DataSplit.Train).Count} training images in {last.Seconds:0.0} s " +
                    $"({probe.Iterations} L-BFGS iterations, {probe.Seconds:0.00} s of them fitting); weight decay {probe.WeightDecay:0.##e+00} chosen on validation " +
                    $"from {probe.Candidates.Count}{(probe.Candidates.Count < LinearProbe.DefaultWeightDecays.Count ? $" of {LinearProbe.DefaultWeightDecays.Count}" : "")} candidates; train acc {probe.TrainAccuracy:0.0000} - val_loss {last.ValLoss:0.0000} - val_acc {last.ValAccuracy:0.0000}"));
                continue;
            }
            // After a linear probe (this session's or, on resume, the checkpoint's), the gate may say the probe suffices.
            if (p > 0 && recipe.Phases[p - 1].LinearProbe && setup.FineTuneGateReason(trainer.History.Epochs[recipe.EpochsBefore(p) - 1]) is { } gated)
            {
                (trainer.Context.StopTraining, trainer.Context.StopReason) = (true, gated);
                setup.BackboneLeftPretrained = true;
                break;
            }
            // A budget fills the last phase: its epochs are planned from the throughput measured so far.
            if (options.Budget is { } budget && p == recipe.Phases.Count - 1 && budgetPlan is null)
            {
                var spentBefore = resuming ? trainer.History.Epochs.Sum(e => e.Seconds) : 0;
                var probeEpoch = p > 0 && recipe.Phases[p - 1].LinearProbe ? trainer.History.Epochs[recipe.EpochsBefore(p) - 1] : null;
                var evalImage = probeEpoch is null ? (double?)null
                    : probeEpoch.Seconds / Math.Max(1, manifest.Samples(DataSplit.Train).Count + manifest.Samples(DataSplit.Validation).Count);
                var before = recipe.EpochsBefore(p);
                budgetPlan = BudgetPlan.Make(setup, budget, spentBefore + clock.Elapsed.TotalSeconds, evalImage,
                    Math.Max(before == 0 ? 1 : 0, (options.Epochs ?? before + BudgetPlan.MaxEpochs) - before), cancellationToken);
                budgetSpentBefore = spentBefore;
                budgetPlan.AgreeWithRoot(group);
                log.Line(budgetPlan.Describe(phase.Name, options.EffectiveImageSize));
                var epochs = plannedEpochs is null ? Math.Max(before == 0 ? 1 : 0, budgetPlan.Epochs) : phase.Epochs;
                trainer.AddCallback(budgetPlan.Stop(() => spentBefore + clock.Elapsed.TotalSeconds));
                trainer.Context.Deadline = DateTimeOffset.Now + budget - TimeSpan.FromSeconds(spentBefore + clock.Elapsed.TotalSeconds);
                if (plannedEpochs is null)
                {
                    options = options with { Epochs = before + epochs };
                    recipe = Recipe.For(options);
                    trainer.Context.PlannedEpochs = recipe.TotalEpochs;
                    RecordBudgetPlan(files.Config, recipe.TotalEpochs, budgetPlan);
                    if (epochs == 0)
                    {
                        (trainer.Context.StopTraining, trainer.Context.StopReason) = (true, $"the budget of {Budgets.Format(budget)} buys no epoch of '{phase.Name}' after what ran before it");
                        setup.BackboneLeftPretrained = recipe.Phases.Take(p).All(q => q.FrozenBackbone);
                        break;
                    }
                    phase = recipe.Phases[p];
                }
            }
            if (p > 0 && recipe.Phases[p - 1].LinearProbe && resume is null)
                trainer.AddCallback(setup.StrongProbeGuard(trainer.History.Epochs[recipe.EpochsBefore(p) - 1], recipe.EpochsBefore(p) + 1));
            var prepared = phase.Prepare(model);
            log.Line($"Phase '{phase.Name}': {phase.Epochs} epochs, learning rates {string.Join(", ", prepared.Groups.Select(g => g.LearningRate.ToString("0.##e+00", CultureInfo.InvariantCulture)).Distinct())}");
            var (train, validation) = setup.Sources(recipe);
            trainer.FitResuming(train, validation, prepared, resume, cancellationToken);
        }
        if (trainer.Context.StopReason is { } reason) log.Line($"Stopped: {reason}");
        var communication = group.CommunicationSeconds;
        if (group.Size > 1)
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"Data-parallel: rank 0's training batches took {trainer.TrainThroughput.Seconds:0.0} s, {trainer.CollectiveSeconds:0.0} s of them in collectives (gradient sums and waiting for the other ranks); {communication:0.0} s in collectives in all"));

        // Weights kept from an epoch that left the backbone as it was pretrained (the probe) evaluate on cached features.
        // Those of the probe itself were fitted on unaugmented crops at the training size: no FixRes size for them.
        // Rank 0's kept epoch is every rank's (the others saved no checkpoint).
        int bestEpoch = (int)group.Broadcast(checkpoint.BestEpoch);
        var fixedPhases = recipe.Phases.TakeWhile(q => q.FrozenBackbone).Sum(q => q.Epochs);
        if (bestEpoch >= 1 && bestEpoch <= fixedPhases && options.EffectiveBatchNorm != Models.BatchNormPolicy.TrainBatchNorm)
            setup.BackboneLeftPretrained = true;
        var keptPhase = Enumerable.Range(0, recipe.Phases.Count).FirstOrDefault(q => bestEpoch <= recipe.EpochsBefore(q + 1));
        setup.KeptLinearProbe = bestEpoch >= 1 && recipe.Phases[keptPhase].LinearProbe;

        PausePoint.Reach("final-evaluation");
        // The best weights are evaluated once on every split: always those of best.holdout, so a run resumed after its
        // last epoch evaluates exactly what an uninterrupted one does.
        if (File.Exists(files.Best))
        {
            using var best = ModelBundle.Load(files.Best).Model;
            CopyWeights(best, model);
        }
        DataParallel.BroadcastFromRoot(group, model);
        // Then the evaluation size (FixRes): the training size or a larger one, whichever the validation loss prefers.
        // The bundle 'evaluate' reads (best.holdout, else last.holdout) records it, so evaluate, predict and export
        // render what this run evaluated.
        var evaluationSize = setup.ChooseEvaluationSize(cancellationToken);
        if (evaluationSize.ValidationLoss.Count > 1)
        {
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"Evaluation size: {evaluationSize.Size} px, chosen on validation loss ({string.Join(", ", evaluationSize.ValidationLoss.Select(c => $"{c.Value:0.0000} at {c.Key} px"))}; the model trained at {options.EffectiveImageSize} px)"));
        }
        else if (evaluationSize.Size != options.EffectiveImageSize)
        {
            log.Line($"Evaluation size: {evaluationSize.Size} px (--eval-size; the model trained at {options.EffectiveImageSize} px)");
        }
        var evaluatedBundle = File.Exists(files.Best) ? files.Best : File.Exists(files.Last) ? files.Last : null;
        if (root && evaluatedBundle is not null && model.EvaluationSize != options.EffectiveImageSize) RecordEvaluationSize(evaluatedBundle, model);
        var history = trainer.History.Epochs;
        var evaluated = new Dictionary<DataSplit, ClassificationMetrics>();
        var predictions = new Dictionary<DataSplit, Predictions>();
        foreach (var split in new[] { DataSplit.Train, DataSplit.Validation, DataSplit.Test })
        {
            if (setup.Evaluation(split).SampleCount == 0) continue;
            var p = split == DataSplit.Validation && evaluationSize.Validation is { } chosen ? chosen : setup.Predict(split, cancellationToken);
            predictions[split] = p;
            evaluated[split] = p.Metrics(classes);
        }
        if (root && predictions.TryGetValue(DataSplit.Test, out var testPredictions))
        {
            PredictionsCsv.Write(files.TestPredictions, classes, [.. manifest.Samples(DataSplit.Test).Select(s => s.Path)], testPredictions);
            ExplainTopLosses(files, model, manifest, options.Workers, log);
        }
        var summary = RunSummary.Create(options, model, recipe, history, bestEpoch, evaluated, trainer, predictions, clock.Elapsed.TotalSeconds, trainer.Context.StopReason, data.Skipped, evaluationSize);
        if (group.Size > 1)
        {
            summary["distributed"] = new System.Text.Json.Nodes.JsonObject
            {
                ["world_size"] = group.Size,
                ["hosts"] = new System.Text.Json.Nodes.JsonArray([.. group.Hosts.Select(h => (System.Text.Json.Nodes.JsonNode)h)]),
                ["rank0_training_seconds"] = trainer.TrainThroughput.Seconds,
                ["rank0_training_collective_seconds"] = trainer.CollectiveSeconds,
                ["rank0_collective_seconds"] = communication,
            };
        }
        if (budgetPlan is not null)
        {
            var used = budgetSpentBefore + clock.Elapsed.TotalSeconds;
            var filled = recipe.Phases.Count - 1;
            var run = Math.Max(0, history.Count - recipe.EpochsBefore(filled));
            summary["budget"] = budgetPlan.ToJson(used, run, trainer.Context.StopReason);
            var inv = CultureInfo.InvariantCulture;
            log.Line(string.Create(inv, $"Budget {Budgets.Format(budgetPlan.Budget)}: used {used:0} s ({used / budgetPlan.Budget.TotalSeconds:0%}); ") +
                string.Create(inv, $"it bought {run} of {budgetPlan.Epochs} planned epochs of '{recipe.Phases[filled].Name}' after {recipe.EpochsBefore(filled)} before them; ") +
                (bestEpoch >= 1 ? string.Create(inv, $"the kept epoch {bestEpoch} scored val_loss {history[bestEpoch - 1].ValLoss:0.0000} - val_acc {history[bestEpoch - 1].ValAccuracy:0.0000}") : "no epoch was kept") +
                (recipe.EpochsBefore(filled) > 0 && history.Count > 0 ? string.Create(inv, $" (epoch 1: val_loss {history[0].ValLoss:0.0000} - val_acc {history[0].ValAccuracy:0.0000})") : ""));
        }
        if (root)
        {
            AtomicFile.WriteAllText(files.Summary, StrictJson.Write(summary, RunConfig.Json));
            RunReport.Write(files.Folder);
            log.Line($"Report: {files.Report}");
            log.Line($"Curves: tensorboard --logdir {files.Folder}");
        }
        if (evaluated.TryGetValue(DataSplit.Test, out var test))
            log.Line($"Test ({test.SampleCount} images, best epoch {bestEpoch}): loss {predictions[DataSplit.Test].Loss:0.0000} - acc {test.Accuracy:0.0000} - macro_f1 {test.MacroF1:0.0000}");
        var result = new TrainingRunResult(files.Folder, summary, evaluated, predictions, manifest, data.Skipped, data.Duplicates, history, bestEpoch);
        hooks.Completed?.Invoke(result, model);
        log.Line($"Run folder: {files.Folder}");
        return result;
    }

    /// <summary>
    /// Grad-CAM overlays of the report's top-loss test images (<see cref="TopLossOverlays"/>), made here where the trained
    /// model is at hand. They only illustrate the report: when they cannot be made, the log says why and the run goes on.
    /// </summary>
    private static void ExplainTopLosses(RunFiles files, ImageClassifier model, SplitManifest manifest, int workers, RunLog log)
    {
        try
        {
            if (RunReport.TestMetrics(files, RunConfig.Read(files.Config), manifest) is { } test)
                TopLossOverlays.Write(files.GradCam, model, manifest.Samples(DataSplit.Test), test.Metrics, workers);
        }
        catch (Exception e) when (e is HoldoutException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            log.Line($"The Grad-CAM overlays of the top losses were not made ({e.Message}); the report shows those images without them.");
        }
    }

    /// <summary>Adds the budget's plan to <c>config.json</c> (atomically), so that a resumed run keeps its epochs and schedule.</summary>
    private static void RecordBudgetPlan(string configPath, int totalEpochs, BudgetPlan plan)
    {
        var document = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        document["budget_plan"] = new System.Text.Json.Nodes.JsonObject
        {
            ["epochs"] = totalEpochs,
            ["budget_seconds"] = plan.Budget.TotalSeconds,
            ["estimated_epoch_seconds"] = plan.EpochSeconds,
            ["estimated_final_seconds"] = plan.FinalSeconds,
            ["planned_at_seconds"] = plan.PlannedAt,
        };
        AtomicFile.WriteAllText(configPath, StrictJson.Write(document, RunConfig.Json));
    }

    /// <summary>Rewrites <paramref name="bundle"/> (atomically; its weights and metadata kept) with <paramref name="model"/>'s evaluation size.</summary>
    private static void RecordEvaluationSize(string bundle, ImageClassifier model)
    {
        var saved = ModelBundle.Load(bundle);
        using var weights = saved.Model;
        weights.EvaluationSize = model.EvaluationSize;
        ModelBundle.Save(bundle, weights, saved.Metadata);
    }

    /// <summary>Copies every parameter and buffer of <paramref name="from"/> into <paramref name="to"/> (same names).</summary>
    internal static void CopyWeights(nn.Module from, nn.Module to)
    {
        using var noGrad = torch.no_grad();
        var source = from.state_dict();
        foreach (var (name, tensor) in to.state_dict()) tensor.copy_(source[name]);
    }
}
