using Holdout.Data;
using Holdout.Diagnostics;
using Holdout.Imaging;
using Holdout.Native;
using Holdout.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>One synthetic setup per pipeline fault: tiny generated images (3 classes, 16 px), a tiny CNN.</summary>
[Collection(NativeCollection.Name)]
public sealed class PipelineChecksTests : IDisposable
{
    private const int Classes = 3;
    private readonly ITestOutputHelper _output;
    private readonly DisposeScope _scope;

    public PipelineChecksTests(ITestOutputHelper output)
    {
        NativeRuntime.EnsureInitialized();
        _output = output;
        _scope = NewDisposeScope();
    }

    public void Dispose() => _scope.Dispose();

    /// <summary>Images whose class is the bright colour channel, roughly normalised (mean 0, std 1), with labels.</summary>
    private static (Tensor Images, Tensor Labels) Data(int count, int seed, bool signal = true)
    {
        var generator = new torch.Generator((ulong)seed);
        var labels = randint(0, Classes, [count], generator: generator);
        var images = randn([count, 3, 16, 16], generator: generator) * 0.5;
        if (signal)
        {
            images += nn.functional.one_hot(labels, Classes).to_type(ScalarType.Float32).reshape(count, Classes, 1, 1) * 2 - 0.67;
        }
        return (images, labels);
    }

    private static nn.Module<Tensor, Tensor> SmallCnn(bool softmax = false, long seed = 1)
    {
        torch.manual_seed(seed);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv", nn.Conv2d(3, 8, 3, padding: 1)),
            ("norm", nn.BatchNorm2d(8)),
            ("relu", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("dropout", nn.Dropout(0.2)),
            ("head", nn.Linear(8, Classes)),
        };
        if (softmax)
        {
            layers.Add(("softmax", nn.Softmax(1)));
        }
        return nn.Sequential(layers);
    }

    private static Tensor CrossEntropy(Tensor outputs, Tensor labels) => nn.functional.cross_entropy(outputs, labels);

    private static Tensor BinaryCrossEntropy(Tensor outputs, Tensor labels) =>
        nn.functional.binary_cross_entropy(outputs, nn.functional.one_hot(labels, outputs.shape[1]).to_type(ScalarType.Float32));

    private static PipelineSetup Setup(nn.Module<Tensor, Tensor>? model = null, Func<Tensor, Tensor, Tensor>? loss = null, IBatchSource? validation = null)
    {
        var (trainImages, trainLabels) = Data(48, 1);
        var (valImages, valLabels) = Data(20, 2);
        return new PipelineSetup(model ?? SmallCnn(), loss ?? CrossEntropy,
            new TensorBatchSource(trainImages, trainLabels, 8, shuffle: true, seed: 3),
            validation ?? new TensorBatchSource(valImages, valLabels, 8, shuffle: false))
        {
            ExpectedInput = Preprocessing.Scratch(16),
        };
    }

    private DoctorReport Examine(PipelineSetup setup, bool deep = false)
    {
        var report = Holdout.Diagnostics.Doctor.Examine(setup, new PipelineCheckOptions(Deep: deep, OverfitSteps: 60));
        _output.WriteLine(report.FormatText());
        return report;
    }

    private static void AssertFinding(DoctorReport report, string code, FindingSeverity severity)
    {
        var findings = report.WithCode(code);
        Assert.True(findings.Count == 1, $"expected one {code} finding, got {findings.Count}:\n{report.FormatText()}");
        Assert.Equal(severity, findings[0].Severity);
    }

    [Fact]
    public void Should_report_no_error_on_a_clean_setup_even_when_training()
    {
        // Given: a working setup: logits model, cross-entropy, stateless sources, same normalisation everywhere
        var setup = Setup();
        var before = setup.Model.parameters().Select(p => p.detach().clone()).ToList();

        // When
        var report = Examine(setup, deep: true);

        // Then: no error, the deep checks timed, and the model put back as it was
        Assert.False(report.HasErrors, report.FormatText());
        Assert.Contains(report.Timings, t => t.Check == FindingCodes.OneBatchOverfit && t.Deep);
        Assert.True(setup.Model.parameters().Zip(before).All(p => p.First.allclose(p.Second, 0, 0)), "the doctor changed the model's weights");
        Assert.True(setup.Model.training);
    }

    [Fact]
    public void Should_report_init_loss_when_the_head_starts_with_huge_weights()
    {
        // Given
        var model = SmallCnn();
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.StartsWith("head.", StringComparison.Ordinal)))
            {
                p.mul_(200);
            }
        }

        // When / Then
        AssertFinding(Examine(Setup(model)), FindingCodes.InitLoss, FindingSeverity.Warning);
    }

    [Fact]
    public void Should_report_bn_mode_gap_when_batchnorm_uses_batch_statistics_without_updating_moving_ones()
    {
        // Given: BatchNorm kept in train mode with momentum 0, on inputs whose statistics differ from its moving ones
        var model = SmallCnn();
        foreach (var norm in model.modules().OfType<BatchNorm>())
        {
            norm.momentum = 0;
        }
        var (trainImages, trainLabels) = Data(48, 1);
        var (valImages, valLabels) = Data(20, 2);
        var setup = new PipelineSetup(model, CrossEntropy,
            new TensorBatchSource(trainImages * 3 + 5, trainLabels, 8, shuffle: true), new TensorBatchSource(valImages * 3 + 5, valLabels, 8, shuffle: false));

        // When / Then
        AssertFinding(Examine(setup), FindingCodes.BatchNormModeGap, FindingSeverity.Error);
    }

    [Fact]
    public void Should_report_preprocessing_mismatch_when_validation_is_scaled_differently()
    {
        // Given: validation images left 255x larger than training images
        var (valImages, valLabels) = Data(20, 2);
        var setup = Setup(validation: new ScaledSource(new TensorBatchSource(valImages, valLabels, 8, shuffle: false), 255));

        // When / Then
        AssertFinding(Examine(setup), FindingCodes.PreprocessingMismatch, FindingSeverity.Error);
    }

    [Fact]
    public void Should_report_loss_activation_mismatch_for_softmax_twice_softmax_with_bce_and_logits_into_bce()
    {
        // Given / When / Then (warnings: the model learns badly, but its validation numbers are still what it does):
        // softmax in the model and cross-entropy (softmax again)
        AssertFinding(Examine(Setup(SmallCnn(softmax: true), CrossEntropy)), FindingCodes.LossActivationMismatch, FindingSeverity.Warning);
        // softmax outputs with binary cross-entropy, 3 classes
        AssertFinding(Examine(Setup(SmallCnn(softmax: true), BinaryCrossEntropy)), FindingCodes.LossActivationMismatch, FindingSeverity.Warning);
        // logits into binary cross-entropy on probabilities
        AssertFinding(Examine(Setup(SmallCnn(), (o, l) => nn.functional.binary_cross_entropy(o.clamp(0, 1), nn.functional.one_hot(l, o.shape[1]).to_type(ScalarType.Float32)))),
            FindingCodes.LossActivationMismatch, FindingSeverity.Warning);
    }

    [Fact]
    public void Should_report_eval_coverage_when_the_validation_source_keeps_its_own_counter()
    {
        // Given: 20 validation images, batches of 8, a counter that survives across calls
        var (valImages, valLabels) = Data(20, 2);
        var setup = Setup(validation: new CountingValidationSource(valImages, valLabels, 8));

        // When
        var report = Examine(setup);

        // Then
        AssertFinding(report, FindingCodes.EvalCoverage, FindingSeverity.Error);
        Assert.Contains(report.WithCode(FindingCodes.EvalCoverage)[0].Evidence, e => e.Contains("yielded 24 samples for SampleCount 20", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_report_one_batch_overfit_when_the_optimiser_cannot_move_the_weights()
    {
        // Given: an optimiser whose learning rate is effectively zero
        var setup = Setup() with { Training = new TrainingOptions(Optimizer: OptimizerKind.Sgd, Momentum: 0), LearningRate = 1e-9 };

        // When
        var report = Examine(setup, deep: true);

        // Then: a warning (nothing learns, but no validation number is wrong)
        AssertFinding(report, FindingCodes.OneBatchOverfit, FindingSeverity.Warning);
        Assert.NotNull(report.WithCode(FindingCodes.OneBatchOverfit)[0].Seconds);
    }

    [Fact]
    public void Should_report_label_shuffle_baseline_when_the_model_memorises_labels_that_carry_no_signal()
    {
        // Given: noise images with random labels and a wide fully connected model: real labels are no easier than shuffled ones
        torch.manual_seed(5);
        var model = nn.Sequential(("flatten", nn.Flatten()), ("hidden", nn.Linear(3 * 16 * 16, 256)), ("relu", nn.ReLU()), ("head", nn.Linear(256, Classes)));
        var (trainImages, trainLabels) = Data(48, 1, signal: false);
        var (valImages, valLabels) = Data(20, 2, signal: false);
        var setup = new PipelineSetup(model, CrossEntropy,
            new TensorBatchSource(trainImages, trainLabels, 8, shuffle: true), new TensorBatchSource(valImages, valLabels, 8, shuffle: false))
        {
            // Marked trained, so its features count as learned: at random initialisation the verdict is only information
            Trained = true,
        };

        // When / Then
        AssertFinding(Examine(setup, deep: true), FindingCodes.LabelShuffleBaseline, FindingSeverity.Warning);
    }
}
