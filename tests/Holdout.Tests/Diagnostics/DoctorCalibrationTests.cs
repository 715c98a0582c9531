using Holdout.Data;
using Holdout.Diagnostics;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Tests.Training;
using Holdout.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>
/// The doctor's calibration: clean setups (different data, architectures, image sizes and class balance, built the
/// Holdout way) must raise no error and no warning, and each pipeline fault planted in one of them must be named by
/// its code. Every run prints its timings and measurements (the label-signal gain, the mode gap) to the test output
/// and to holdout-doctor-calibration.txt in the temp folder, where the README's numbers come from.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class DoctorCalibrationTests
{
    private static readonly PipelineCheckOptions Deep = new(Deep: true);
    private static readonly string Log = Path.Combine(Path.GetTempPath(), "holdout-doctor-calibration.txt");
    private readonly ITestOutputHelper _output;

    public DoctorCalibrationTests(ITestOutputHelper output)
    {
        NativeRuntime.EnsureInitialized();
        _output = output;
    }

    /// <summary>A setup: its data (written into a temporary folder) and the options of holdout train.</summary>
    private sealed record Case(Func<TempFolder, string> Data, TrainRunOptions Options);

    /// <summary>Small and fast; a 60/20/20 split leaves at least 10 validation images per class, so the data audit has nothing to say.</summary>
    private static TrainRunOptions Tiny(Architecture model, int size, string? weights = null) =>
        new(Model: model, Weights: weights, ImageSize: size, BatchSize: 16, Workers: 2, Seed: 1, Split: "60/20/20");

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["simple-cnn, colour squares, 3 balanced classes, 32 px"] = new(f => TinyImageFolder.Create(f, 50), Tiny(Architecture.SimpleCnn, 32)),
        ["resnet18 from scratch, colour squares, 3 classes 100/50/50, 48 px"] = new(f => TinyImageFolder.Create(f, [100, 50, 50]), Tiny(Architecture.ResNet18, 48, ModelOptions.NoWeights)),
        ["resnet34 from scratch, colour squares, 2 classes, 32 px"] = new(f => TinyImageFolder.Create(f, [50, 50, 0]), Tiny(Architecture.ResNet34, 32, ModelOptions.NoWeights)),
        ["resnet50 from scratch, colour squares, 3 classes, 32 px"] = new(f => TinyImageFolder.Create(f, 50), Tiny(Architecture.ResNet50, 32, ModelOptions.NoWeights)),
        ["bundled resnet18 fine-tune, bean photos, 3 classes, 64 px"] = new(_ => SampleBeans.Folder, Tiny(Architecture.ResNet18, 64)),
        ["bundled resnet18 fine-tune (the defaults), bean photos, 3 classes, 128 px"] = new(_ => SampleBeans.Folder, Tiny(Architecture.ResNet18, 128)),
        ["bundled resnet18 fine-tune with --train-bn, bean photos, 3 classes, 64 px"] = new(_ => SampleBeans.Folder, Tiny(Architecture.ResNet18, 64) with { TrainBatchNorm = true }),
        ["bundled resnet18 frozen, no augmentation, bean photos healthy vs diseased (1:2), 96 px"] = new(f => BeansManifest(f, permuted: false),
            Tiny(Architecture.ResNet18, 96) with { Recipe = RecipeKind.Frozen, Augment = "none" }),
        ["bundled resnet18 fine-tune, bean photos with shuffled labels, 64 px"] = new(f => BeansManifest(f, permuted: true), Tiny(Architecture.ResNet18, 64)),
        ["simple-cnn, colour squares with shuffled labels, 32 px"] = new(f => Permuted(f, TinyImageFolder.Create(f, 50)), Tiny(Architecture.SimpleCnn, 32)),
    };

    public static TheoryData<string> CleanSetups =>
    [
        "simple-cnn, colour squares, 3 balanced classes, 32 px",
        "resnet18 from scratch, colour squares, 3 classes 100/50/50, 48 px",
        "resnet34 from scratch, colour squares, 2 classes, 32 px",
        "resnet50 from scratch, colour squares, 3 classes, 32 px",
        "bundled resnet18 fine-tune, bean photos, 3 classes, 64 px",
        "bundled resnet18 fine-tune (the defaults), bean photos, 3 classes, 128 px",
        "bundled resnet18 fine-tune with --train-bn, bean photos, 3 classes, 64 px",
        "bundled resnet18 frozen, no augmentation, bean photos healthy vs diseased (1:2), 96 px",
    ];

    /// <summary>samples/beans as a manifest labelled healthy / diseased, or with the three labels shuffled among the photos.</summary>
    private static string BeansManifest(TempFolder folder, bool permuted)
    {
        var rows = SampleBeans.Classes.SelectMany(c => Directory.GetFiles(Path.Combine(SampleBeans.Folder, c), "*.jpg").Order(StringComparer.Ordinal)
            .Select(path => (Path: path, Label: permuted ? c : c == "healthy" ? "healthy" : "diseased"))).ToList();
        var labels = rows.Select(r => r.Label).ToArray();
        if (permuted)
        {
            new Random(7).Shuffle(labels);
        }
        return Manifest(folder, rows.Select((r, i) => (r.Path, labels[i])));
    }

    /// <summary>A manifest of a class-per-folder dataset with its labels shuffled among the images.</summary>
    private static string Permuted(TempFolder folder, string root)
    {
        var rows = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Select(p => (Path: p, Label: Path.GetFileName(d)))).ToList();
        var labels = rows.Select(r => r.Label).ToArray();
        new Random(7).Shuffle(labels);
        return Manifest(folder, rows.Select((r, i) => (r.Path, labels[i])));
    }

    private static string Manifest(TempFolder folder, IEnumerable<(string Path, string Label)> rows) =>
        folder.Write("manifest.csv", System.Text.Encoding.UTF8.GetBytes("path,label\n" + string.Concat(rows.Select(r => $"{r.Path},{r.Label}\n"))));

    /// <summary>Builds the case's setup the Holdout way and lets <paramref name="plant"/> change what the doctor sees.</summary>
    private DoctorReport Examine(string name, Func<RunSetup, PipelineSetup, PipelineSetup>? plant = null, bool deep = true)
    {
        using var folder = new TempFolder();
        var @case = Cases[name];
        var options = @case.Options with { Data = @case.Data(folder) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = RunData.Prepare(options);
        var prepared = clock.Elapsed.TotalSeconds;
        using var setup = RunSetup.Create(options, data.Split);
        var created = clock.Elapsed.TotalSeconds;
        var pipeline = Holdout.Diagnostics.Doctor.Pipeline(setup);
        var audit = DataAudit.Run(data.Split, data.Skipped);
        var audited = clock.Elapsed.TotalSeconds;
        var checks = Holdout.Diagnostics.Doctor.Examine(plant is null ? pipeline : plant(setup, pipeline), deep ? Deep : new PipelineCheckOptions());
        var report = new DoctorReport(audit.Concat(checks.Findings), checks.Timings);
        var text = $"== {name}{(plant is null ? "" : " (fault planted)")}\n" +
            FormattableString.Invariant($"data {prepared:0.0} s, setup {created - prepared:0.0} s, audit {audited - created:0.0} s, checks {clock.Elapsed.TotalSeconds - audited:0.0} s\n") +
            $"{report.FormatText()}\n";
        _output.WriteLine(text);
        File.AppendAllText(Log, text);
        return report;
    }

    private static void AssertNamed(DoctorReport report, string code, FindingSeverity severity) =>
        Assert.True(report.WithCode(code) is [{ } finding] && finding.Severity == severity,
            $"expected one {code} finding at {severity}:\n{report.FormatText()}");

    [Theory]
    [MemberData(nameof(CleanSetups))]
    public void Should_raise_no_error_and_no_warning_on_a_clean_setup(string name)
    {
        // Given a setup built the Holdout way, at initialisation / When the doctor examines its data, pipeline and deep checks
        var report = Examine(name);

        // Then nothing above info, and the deep checks ran
        Assert.True(report.Findings.All(f => f.Severity == FindingSeverity.Info), report.FormatText());
        Assert.Contains(report.Timings, t => t.Check == FindingCodes.LabelShuffleBaseline && t.Observed is not null && !t.Observed.StartsWith("skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_name_init_loss_when_the_head_starts_with_random_unit_weights()
    {
        // Given the simple CNN with its output layer drawn from N(0, 1) instead of starting at the class priors
        var report = Examine("simple-cnn, colour squares, 3 balanced classes, 32 px", (setup, pipeline) =>
        {
            using var noGrad = no_grad();
            torch.manual_seed(3);
            foreach (var (_, p) in setup.Model.named_parameters().Where(p => p.name.StartsWith("head.fc2.", StringComparison.Ordinal)))
            {
                p.normal_(0, 1);
            }
            return pipeline;
        });

        // Then
        AssertNamed(report, FindingCodes.InitLoss, FindingSeverity.Warning);
    }

    [Fact]
    public void Should_name_bn_mode_gap_when_batchnorm_runs_on_batch_statistics_that_never_reach_its_moving_ones()
    {
        // Given a ResNet from scratch whose BatchNorm layers have momentum 0 (their moving statistics never update)
        var report = Examine("resnet18 from scratch, colour squares, 3 classes 100/50/50, 48 px", (setup, pipeline) =>
        {
            foreach (var norm in setup.Model.modules().OfType<BatchNorm>())
            {
                norm.momentum = 0;
            }
            return pipeline;
        });

        // Then
        AssertNamed(report, FindingCodes.BatchNormModeGap, FindingSeverity.Error);
    }

    [Fact]
    public void Should_name_preprocessing_mismatch_when_validation_uses_another_backbones_normalisation()
    {
        // Given validation images prepared for a torchvision ResNet (RGB 0..1, ImageNet mean/std) while training gets
        // the bundled CNTK ResNet's own (BGR 0..255 minus the mean)
        var report = Examine("bundled resnet18 fine-tune, bean photos, 3 classes, 64 px", (setup, pipeline) => pipeline with
        {
            Validation = BatchLoader.ForEvaluation(setup.Split.Samples(DataSplit.Validation), Preprocessing.ImageNetTorchvision(64), new BatchLoaderOptions(BatchSize: 16, Workers: 2)),
        });

        // Then
        AssertNamed(report, FindingCodes.PreprocessingMismatch, FindingSeverity.Error);
    }

    [Fact]
    public void Should_name_loss_activation_mismatch_when_a_softmax_feeds_cross_entropy()
    {
        // Given a softmax appended to the classifier, whose outputs then go through cross-entropy (a second softmax)
        var report = Examine("bundled resnet18 fine-tune, bean photos, 3 classes, 64 px", (setup, pipeline) => pipeline with
        {
            Model = nn.Sequential(("classifier", setup.Model), ("softmax", nn.Softmax(1))),
        }, deep: false);

        // Then
        AssertNamed(report, FindingCodes.LossActivationMismatch, FindingSeverity.Warning);
    }

    [Fact]
    public void Should_name_eval_coverage_when_the_validation_source_keeps_its_own_counter()
    {
        // Given the validation images served by a generator that keeps its batch counter across calls
        var report = Examine("simple-cnn, colour squares, 3 balanced classes, 32 px", (setup, pipeline) =>
        {
            using var probe = Holdout.Diagnostics.Checks.PipelineProbe.FirstBatch(setup.Validation, setup.Validation.SampleCount, default);
            return pipeline with { Validation = new CountingValidationSource(probe.Images.clone(), probe.Labels.clone(), 8) };
        });

        // Then
        AssertNamed(report, FindingCodes.EvalCoverage, FindingSeverity.Error);
    }

    [Fact]
    public void Should_name_one_batch_overfit_when_the_learning_rate_cannot_move_the_weights()
    {
        // Given plain SGD at a learning rate of 1e-9
        var report = Examine("bundled resnet18 fine-tune, bean photos, 3 classes, 64 px", (_, pipeline) => pipeline with
        {
            Training = new TrainingOptions(Optimizer: OptimizerKind.Sgd, Momentum: 0),
            LearningRate = 1e-9,
        });

        // Then
        AssertNamed(report, FindingCodes.OneBatchOverfit, FindingSeverity.Warning);
    }

    [Fact]
    public void Should_name_label_shuffle_baseline_when_the_labels_were_shuffled_among_the_photos()
    {
        // Given the bean photos with their labels shuffled (a manifest whose label column was sorted separately)
        var report = Examine("bundled resnet18 fine-tune, bean photos with shuffled labels, 64 px");

        // Then: pretrained features make the verdict a warning
        AssertNamed(report, FindingCodes.LabelShuffleBaseline, FindingSeverity.Warning);
    }

    [Fact]
    public void Should_name_label_shuffle_baseline_as_information_only_when_the_features_are_untrained()
    {
        // Given colour squares with shuffled labels and a network at random initialisation
        var report = Examine("simple-cnn, colour squares with shuffled labels, 32 px");

        // Then: random features cannot prove the labels wrong, so the finding is information
        AssertNamed(report, FindingCodes.LabelShuffleBaseline, FindingSeverity.Info);
    }
}
