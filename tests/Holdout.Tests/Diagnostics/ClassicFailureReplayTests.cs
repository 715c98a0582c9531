using Holdout.Data;
using Holdout.Diagnostics;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>
/// The classic "train accuracy climbs, validation sits at chance" setup, replayed on real bean images with the
/// bundled pretrained ResNet-18, next to a clean setup on the same images.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class ClassicFailureReplayTests
{
    private readonly PretrainedModelFixture _pretrained;
    private readonly ITestOutputHelper _output;

    public ClassicFailureReplayTests(PretrainedModelFixture pretrained, ITestOutputHelper output)
    {
        NativeRuntime.EnsureInitialized();
        _pretrained = pretrained;
        _output = output;
    }

    private static List<ImageSample> Beans(string split, int perClass)
    {
        var root = SharedData.Dataset("beans")!;
        var samples = new List<ImageSample>();
        for (var label = 0; label < PretrainedModelFixture.Classes.Count; label++)
        {
            var folder = Path.Combine(root, split, PretrainedModelFixture.Classes[label]);
            samples.AddRange(Directory.GetFiles(folder).Order(StringComparer.Ordinal).Take(perClass).Select(p => new ImageSample(p, label)));
        }
        return samples;
    }

    /// <summary>Decoded, resized pixels in 0..255 RGB: what a hand-written loader reads before "normalising".</summary>
    private static Preprocessing RawPixels => new(PretrainedModelFixture.ImageSize, ColorOrder.Rgb, ValueScale.Byte, [0f, 0f, 0f], [1f, 1f, 1f]);

    [SharedDataFact("beans")]
    public void Should_explain_the_classic_failure_with_the_codes_of_each_fault()
    {
        // Given: frozen pretrained ResNet whose BatchNorm layers run in train mode with momentum 0 ...
        var classifier = _pretrained.Reset();
        classifier.FreezeBackbone();
        classifier.FrozenBatchNorm = BatchNormPolicy.TrainBatchNorm;
        foreach (var norm in classifier.Backbone.modules().OfType<BatchNorm>())
        {
            norm.momentum = 0;
            foreach (var p in norm.parameters())
            {
                p.requires_grad = false;
            }
        }
        // ... a 2-way softmax trained with binary cross-entropy on one-hot labels ...
        var model = nn.Sequential(("classifier", classifier), ("softmax", nn.Softmax(1)));
        Tensor Loss(Tensor outputs, Tensor labels) => nn.functional.binary_cross_entropy(outputs, nn.functional.one_hot(labels, 2).to_type(ScalarType.Float32));
        // ... images divided by their own maximum, and a validation generator with its own counter
        var train = new MaxScaledSource(BatchLoader.ForTraining(Beans("train", 8), RawPixels, new BatchLoaderOptions(BatchSize: 8, Workers: 2, Seed: 1)));
        Tensor valImages, valLabels;
        using (var scope = NewDisposeScope())
        {
            var batches = new MaxScaledSource(BatchLoader.ForEvaluation(Beans("test", 8), RawPixels, new BatchLoaderOptions(BatchSize: 16, Workers: 2))).Batches(0).ToList();
            valImages = cat(batches.Select(b => b.Images).ToList(), 0).DetachFromDisposeScope();
            valLabels = cat(batches.Select(b => b.Labels).ToList(), 0).DetachFromDisposeScope();
        }
        var validation = new CountingValidationSource(valImages, valLabels, 6);
        // The user's own training loop, as they wrote it
        var history = UserTrainingLoop(model, Loss, train, validation, epochs: 4);

        // When
        var setup = new PipelineSetup(model, Loss, train, validation)
        {
            ExpectedInput = classifier.Spec.Preprocessing,
            History = history,
            MajorityRate = 0.5,
            Trained = true,
        };
        var report = Holdout.Diagnostics.Doctor.Examine(setup);
        var text = report.FormatText();
        _output.WriteLine(text);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "holdout-doctor-classic-replay.txt"), text);

        // Then: each injected fault is named, at its severity, and the symptom points to them
        Assert.Equal(FindingSeverity.Error, Assert.Single(report.WithCode(FindingCodes.ChanceLevelValidation)).Severity);
        Assert.Equal(FindingSeverity.Error, Assert.Single(report.WithCode(FindingCodes.BatchNormModeGap)).Severity);
        // both splits get the same wrong scale: the model learns badly, but validation measures the same pipeline
        Assert.Equal(FindingSeverity.Warning, Assert.Single(report.WithCode(FindingCodes.PreprocessingMismatch)).Severity);
        Assert.Equal(FindingSeverity.Warning, Assert.Single(report.WithCode(FindingCodes.LossActivationMismatch)).Severity);
        Assert.Equal(FindingSeverity.Error, Assert.Single(report.WithCode(FindingCodes.EvalCoverage)).Severity);
        Assert.Contains(report.WithCode(FindingCodes.PreprocessingMismatch)[0].Evidence, e => e.Contains("divided by their own maximum", StringComparison.Ordinal));
        Assert.Equal(FindingCodes.ChanceLevelValidation, report.Findings[0].Code);
        Assert.Contains("bn-mode-gap", report.Summary(), StringComparison.Ordinal);
        // no warning is ranked above an error that explains the curves
        var summary = report.Summary()!;
        Assert.True(summary.IndexOf("eval-coverage", StringComparison.Ordinal) < summary.IndexOf("preprocessing-mismatch", StringComparison.Ordinal)
            && summary.IndexOf("bn-mode-gap", StringComparison.Ordinal) < summary.IndexOf("loss-activation-mismatch", StringComparison.Ordinal), summary);
        Assert.Equal(1, report.ExitCode);
        valImages.Dispose();
        valLabels.Dispose();
    }

    [SharedDataFact("beans")]
    public void Should_report_no_error_on_a_clean_pretrained_setup()
    {
        // Given: the same backbone and images the Holdout way: frozen BatchNorm in eval mode, the spec's
        // normalisation for training and validation, logits with cross-entropy, a stateless validation loader
        var classifier = _pretrained.Reset();
        classifier.FreezeBackbone();
        var pre = classifier.Spec.Preprocessing;
        var train = BatchLoader.ForTraining(Beans("train", 8), pre, new BatchLoaderOptions(BatchSize: 8, Workers: 2, Augmentation: AugmentationOptions.Light, Seed: 1));
        var validation = BatchLoader.ForEvaluation(Beans("test", 8), pre, new BatchLoaderOptions(BatchSize: 8, Workers: 2));
        var setup = new PipelineSetup(classifier, (o, l) => nn.functional.cross_entropy(o, l), train, validation);

        // When
        var report = Holdout.Diagnostics.Doctor.Examine(setup);
        _output.WriteLine(report.FormatText());

        // Then
        Assert.False(report.HasErrors, report.FormatText());
    }

    [Fact]
    public void Should_report_bn_mode_gap_as_an_error_before_training_when_the_new_head_hides_it()
    {
        // Given: the seed's bug before any training: a frozen pretrained ResNet-18 whose BatchNorm layers run in train
        // mode with momentum 0, and a new head started at zero weights and bias ln(prior), so its outputs are the
        // same constant in both modes. The committed sample's photos, prepared as the backbone expects.
        var classifier = _pretrained.Reset();
        classifier.FreezeBackbone();
        classifier.FrozenBatchNorm = BatchNormPolicy.TrainBatchNorm;
        var norms = classifier.Backbone.modules().OfType<BatchNorm>().ToList();
        foreach (var norm in norms)
        {
            norm.momentum = 0;
        }
        classifier.InitialiseHead([0.5, 0.5]);
        var samples = SampleBeans.Take(60).Where(s => s.Label != 1).Select(s => s with { Label = s.Label / 2 }).ToList();
        var pre = classifier.Spec.Preprocessing;
        var train = BatchLoader.ForTraining(samples.Where((_, i) => i % 2 == 0).ToList(), pre, new BatchLoaderOptions(BatchSize: 8, Workers: 2, Seed: 1));
        var validation = BatchLoader.ForEvaluation(samples.Where((_, i) => i % 2 == 1).ToList(), pre, new BatchLoaderOptions(BatchSize: 10, Workers: 2));
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            using var batch = validation.Batches(0).First();
            classifier.eval();
            var evaluated = classifier.forward(batch.Images);
            classifier.train();
            var trained = classifier.forward(batch.Images);
            Assert.True(trained.allclose(evaluated, 1e-5, 1e-5), "the zero-initialised head's outputs should not show the gap");
        }

        // When
        var report = Holdout.Diagnostics.Doctor.Examine(new PipelineSetup(classifier, (o, l) => nn.functional.cross_entropy(o, l), train, validation));
        _output.WriteLine(report.FormatText());

        // Then: an error that names every train-mode BatchNorm layer as never updating
        var finding = Assert.Single(report.WithCode(FindingCodes.BatchNormModeGap));
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Contains($"{norms.Count} of {norms.Count} BatchNorm layers", finding.Message, StringComparison.Ordinal);
    }

    private static List<EpochRecord> UserTrainingLoop(nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss, IBatchSource train, IBatchSource validation, int epochs)
    {
        var history = new List<EpochRecord>();
        using var optimizer = torch.optim.Adam(model.parameters().Where(p => p.requires_grad), 1e-2);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            model.train();
            double lossSum = 0, correct = 0, seen = 0;
            foreach (var batch in train.Batches(epoch))
            {
                using var scope = NewDisposeScope();
                using var owned = batch;
                optimizer.zero_grad();
                var outputs = model.forward(batch.Images);
                var value = loss(outputs, batch.Labels);
                value.backward();
                optimizer.step();
                lossSum += value.item<float>() * batch.Count;
                correct += outputs.argmax(1).eq(batch.Labels).sum().item<long>();
                seen += batch.Count;
            }
            model.eval();
            double valLoss = 0, valCorrect = 0, valSeen = 0;
            using (no_grad())
            {
                foreach (var batch in validation.Batches(epoch))
                {
                    using var scope = NewDisposeScope();
                    using var owned = batch;
                    var outputs = model.forward(batch.Images);
                    valLoss += loss(outputs, batch.Labels).item<float>() * batch.Count;
                    valCorrect += outputs.argmax(1).eq(batch.Labels).sum().item<long>();
                    valSeen += batch.Count;
                }
            }
            history.Add(new EpochRecord(epoch + 1, lossSum / seen, correct / seen, valLoss / valSeen, valCorrect / valSeen, 1e-2, 0));
        }
        return history;
    }
}
