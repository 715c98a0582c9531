using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Diagnostics.Checks;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics;

/// <summary>
/// <c>holdout doctor</c>: names why a model is good on training data and bad on validation data, with evidence.
/// <see cref="Examine(DoctorOptions, CancellationToken)"/> checks a dataset (and a Holdout run);
/// <see cref="Examine(PipelineSetup, PipelineCheckOptions?, CancellationToken)"/> checks a setup the user built
/// (their own model, loss and batch sources). Both return a ranked <see cref="DoctorReport"/>.
/// </summary>
public static class Doctor
{
    /// <summary>
    /// Audits <see cref="DoctorOptions.Data"/> on the split that matters: the run's split.csv with a run, else the
    /// folder's own split, else the split holdout train would make. With a run, also probes the run's setup (its
    /// model rebuilt at initialisation, its loaders and loss) and reads its learning curves.
    /// </summary>
    /// <param name="options">What to examine.</param>
    /// <param name="cancellationToken">Stops the checks.</param>
    public static DoctorReport Examine(DoctorOptions options, CancellationToken cancellationToken = default)
    {
        var findings = new List<Finding>();
        var timings = new List<CheckTiming>();
        var clock = Stopwatch.StartNew();
        var dataset = DatasetDiscovery.Discover(options.Data, new DiscoveryOptions(MaxPixels: options.Audit?.MaxPixels), cancellationToken);
        RunFiles? run = null;
        SplitManifest manifest;
        if (options.Run is not null)
        {
            run = new RunFiles(options.Run);
            if (!File.Exists(run.Config) || !File.Exists(run.Split))
            {
                throw new HoldoutException($"'{options.Run}' is not a run folder: it needs config.json and split.csv. Pass the folder holdout train created (e.g. runs/20261129-101500-resnet18).");
            }
            manifest = SplitManifest.Read(run.Split);
        }
        else
        {
            manifest = Splitter.Split(dataset, new SplitOptions(SplitRatios.Parse(options.Split), options.Seed), cancellationToken).Manifest;
        }
        findings.AddRange(DataAudit.Run(manifest, dataset, options.Audit, cancellationToken));
        timings.Add(new CheckTiming("data", clock.Elapsed.TotalSeconds, false));

        if (run is not null)
        {
            var pipeline = (options.Pipeline ?? new PipelineCheckOptions()) with { Deep = options.Deep };
            var report = ExamineRun(run, manifest, pipeline, cancellationToken);
            findings.AddRange(report.Findings);
            timings.AddRange(report.Timings);
            if (options.Deep)
            {
                var shortcut = Stopwatch.StartNew();
                var outcome = ExamineShortcuts(run, manifest, options.Output ?? Path.Combine(run.Folder, "doctor"), options.Seed, cancellationToken);
                var seconds = shortcut.Elapsed.TotalSeconds;
                findings.AddRange(outcome.Findings.Select(f => f with { Seconds = seconds }));
                timings.Add(new CheckTiming(FindingCodes.ShortcutCue, seconds, true, outcome.Observed));
            }
        }
        return new DoctorReport(findings, timings);
    }

    /// <summary>
    /// Checks a training setup the user built: the pipeline and model checks on it, and the learning-curve checks
    /// when <see cref="PipelineSetup.History"/> is given.
    /// </summary>
    /// <param name="setup">The user's model, loss and batch sources.</param>
    /// <param name="options">Which checks and how hard; defaults to <see cref="PipelineCheckOptions"/>'s defaults (no training).</param>
    /// <param name="cancellationToken">Stops the checks.</param>
    public static DoctorReport Examine(PipelineSetup setup, PipelineCheckOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (findings, timings) = PipelineChecks.Run(setup, options, cancellationToken);
        var all = findings.ToList();
        if (setup.History is { Count: > 0 } history)
        {
            var majority = setup.MajorityRate ?? MajorityRate(setup.Validation, cancellationToken);
            all.AddRange(LearningCurves.Check(history, majority, setup.Validation.SampleCount, setup.KeptEpoch));
        }
        return new DoctorReport(all, timings);
    }

    /// <summary>The accuracy of always predicting the most frequent class of <paramref name="source"/>'s labels (one pass).</summary>
    /// <param name="source">A batch source.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    public static double MajorityRate(IBatchSource source, CancellationToken cancellationToken = default)
    {
        NativeRuntime.EnsureInitialized();
        var counts = new Dictionary<long, int>();
        var total = 0;
        foreach (var batch in source.Batches(0, cancellationToken))
        {
            using var owned = batch;
            foreach (var label in batch.Labels.data<long>().ToArray())
            {
                counts[label] = counts.GetValueOrDefault(label) + 1;
                total++;
            }
        }
        return total == 0 ? double.NaN : counts.Values.Max() / (double)total;
    }

    private static DoctorReport ExamineRun(RunFiles run, SplitManifest manifest, PipelineCheckOptions options, CancellationToken cancellationToken)
    {
        NativeRuntime.EnsureInitialized();
        var config = RunConfig.Read(run.Config);
        using var setup = RunSetup.Create(config.Options, manifest);
        var pipeline = Pipeline(setup, File.Exists(run.History) ? HistoryCsv.Read(run.History) : null) with { KeptEpoch = KeptEpoch(run) };
        return Examine(pipeline, options, cancellationToken);
    }

    /// <summary>
    /// shortcut-cue on the run's trained model (its best.holdout) and validation images: heatmaps, clusters, and the
    /// interventions that prove a cue (see <see cref="ShortcutCueCheck"/>). Montages go to <paramref name="output"/>.
    /// </summary>
    private static CheckOutcome ExamineShortcuts(RunFiles run, SplitManifest manifest, string output, long seed, CancellationToken cancellationToken)
    {
        if (!File.Exists(run.Best) && !File.Exists(run.Last))
        {
            return CheckOutcome.Of(null, "the run has no trained model yet (best.holdout)");
        }
        var samples = manifest.Samples(DataSplit.Validation);
        if (samples.Count == 0)
        {
            return CheckOutcome.Of(null, "the run's split has no validation images");
        }
        var (bundlePath, _) = RunFolderModel.Locate(run.Folder);
        var bundle = ModelBundle.Load(bundlePath);
        using var model = bundle.Model;
        var options = RunConfig.Read(run.Config).Options;
        model.Precision = PrecisionChoices.Choose(model, RunFolderModel.RecordedPrecision(run.Folder), PrecisionWorkload.Inference, options.BatchSize, model.EvaluationSize).Precision;
        using var setup = RunSetup.ForModel(model, options, manifest);
        var (outcome, _) = ShortcutCueCheck.Run(model, setup.Evaluation(samples), model.Spec.Preprocessing.ForEvaluation(),
            new ShortcutCueOptions(Seed: seed), output, cancellationToken);
        return outcome;
    }

    /// <summary>The epoch whose weights a run kept: summary.json's best_epoch, or null before the run finished.</summary>
    private static int? KeptEpoch(RunFiles run)
    {
        if (!File.Exists(run.Summary)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(run.Summary))?["best_epoch"]?.GetValue<int>() is int best and > 0 ? best : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// A Holdout run's setup at initialisation as the pipeline checks see it: its model, BatchNorm policy, loaders and
    /// loss, prepared for the recipe's first phase (the head alone with a frozen pretrained backbone), with the
    /// training split's class counts (what the new head starts at) and the validation split's majority rate.
    /// </summary>
    /// <param name="setup">A fresh setup (<see cref="RunSetup.Create(TrainRunOptions, Data.SplitManifest)"/>); its model is probed at initialisation.</param>
    /// <param name="history">The run's per-epoch history for the curve checks, or null.</param>
    internal static PipelineSetup Pipeline(RunSetup setup, IReadOnlyList<EpochRecord>? history = null)
    {
        setup.Recipe.Phases[0].Prepare(setup.Model);
        var counts = setup.Split.Counts();
        var classes = Enumerable.Range(0, setup.Split.ClassNames.Count).ToList();
        var validationCounts = classes.Select(c => counts[c, (int)DataSplit.Validation]).ToArray();
        return new PipelineSetup(setup.Model, setup.Loss.Mean, setup.Train, setup.Validation)
        {
            History = history,
            MajorityRate = validationCounts.Sum() == 0 ? null : validationCounts.Max() / (double)validationCounts.Sum(),
            TrainingClassCounts = classes.Select(c => counts[c, (int)DataSplit.Train]).ToArray(),
        };
    }
}
