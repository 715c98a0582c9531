using System.Runtime.InteropServices;
using Holdout.Data;
using Holdout.Models;
using Holdout.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// What every check works on: the user's setup, the check options, the model's device, and one small batch of
/// training and of validation samples (plus, for the deep checks, a larger set of training samples read once). The
/// deep checks train through <see cref="Trainer"/>, the loop training uses.
/// </summary>
internal sealed class PipelineProbe : IDisposable
{
    private readonly CancellationToken _cancellationToken;
    private ProbeBatch? _deepSamples;
    private Tensor? _deepFeatures;
    private Tensor? _deepThumbnails;

    public PipelineProbe(PipelineSetup setup, PipelineCheckOptions options, CancellationToken cancellationToken)
    {
        Setup = setup;
        Options = options;
        _cancellationToken = cancellationToken;
        Device = ModelOutputs.DeviceOf(setup.Model);
        TrainBatch = FirstBatch(setup.Train, options.ProbeSamples, cancellationToken);
        ValidationBatch = FirstBatch(setup.Validation, options.ProbeSamples, cancellationToken);
        Classifier = ModelSnapshot.AllModules(setup.Model).OfType<ImageClassifier>().FirstOrDefault();
    }

    public PipelineSetup Setup { get; }

    public PipelineCheckOptions Options { get; }

    public Device Device { get; }

    public ProbeBatch TrainBatch { get; }

    public ProbeBatch ValidationBatch { get; }

    /// <summary>The Holdout classifier the model is or contains, or null for a model of the user's own.</summary>
    public ImageClassifier? Classifier { get; }

    /// <summary>
    /// Whether the model's features already mean something: it was trained, or its backbone starts from pretrained
    /// weights. Features of a network at random initialisation may hide a signal training would find.
    /// </summary>
    public bool FeaturesAreLearned => Setup.Trained || Classifier is { IsPretrained: true };

    /// <summary>
    /// The first <see cref="PipelineCheckOptions.ShuffleSamples"/> training samples of epoch 0, read once for the
    /// deep checks.
    /// </summary>
    public ProbeBatch DeepSamples => _deepSamples ??= FirstBatch(Setup.Train, Math.Max(Options.ShuffleSamples, Options.ProbeSamples), _cancellationToken);

    /// <summary>
    /// The <see cref="ModelFeatures"/> of <see cref="DeepSamples"/> on the CPU, computed once, with dropout off so they
    /// are repeatable: in eval mode when the features are learned (<see cref="FeaturesAreLearned"/>: BatchNorm's moving
    /// statistics then mean something), else in train mode (batch statistics, as a network at initialisation trains).
    /// Where the backbone is fixed both modes give the same features.
    /// </summary>
    public Tensor DeepFeatures => _deepFeatures ??= Features(DeepSamples.Images, trainMode: !FeaturesAreLearned).DetachFromDisposeScope();

    /// <summary>The model inputs of <see cref="DeepSamples"/> averaged down to 8 x 8 per channel: a view of the images that no network shapes.</summary>
    public Tensor DeepThumbnails => _deepThumbnails ??= ThumbnailsOf(DeepSamples.Images);

    private static Tensor ThumbnailsOf(Tensor images)
    {
        using var scope = NewDisposeScope();
        var pooled = images.dim() == 4 ? nn.functional.adaptive_avg_pool2d(images.to_type(ScalarType.Float32), [8, 8]) : images.to_type(ScalarType.Float32);
        return pooled.flatten(1).DetachFromDisposeScope();
    }

    /// <summary>
    /// When only the head of a Holdout classifier trains and everything before it computes the same in train and
    /// eval mode (frozen backbone, BatchNorm in eval mode, no dropout), the head module: a probe may then train it on
    /// features computed once, exactly as training would. Null otherwise.
    /// </summary>
    public nn.Module<Tensor, Tensor>? FixedBackboneHead()
    {
        if (Classifier is null || !ReferenceEquals(Classifier, Setup.Model) || Classifier.Backbone.parameters().Any(p => p.requires_grad))
        {
            return null;
        }
        using var snapshot = new ModelSnapshot(Setup.Model, parameters: false);
        Setup.Model.train();
        var backbone = ModelSnapshot.AllModules(Classifier.Backbone);
        if (backbone.Any(m => m.training && (m is BatchNorm || IsDropout(m))))
        {
            return null;
        }
        return Classifier.named_children().FirstOrDefault(c => c.name == "head").module as nn.Module<Tensor, Tensor>;
    }

    /// <summary>
    /// The model's outputs for <paramref name="batch"/> (on the CPU, in the caller's dispose scope) in train or eval
    /// mode, without gradients; BatchNorm statistics and modes are put back afterwards.
    /// </summary>
    public Tensor Outputs(ProbeBatch batch, bool trainMode)
    {
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(Setup.Model, parameters: false);
        using var noGrad = no_grad();
        Setup.Model.train(trainMode);
        return Setup.Model.forward(batch.Images.to(Device)).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="ModelFeatures"/> of <paramref name="images"/> (on the CPU) in train or eval mode, in chunks of at most
    /// 32, with dropout off; BatchNorm statistics and modes are put back afterwards.
    /// </summary>
    public Tensor Features(Tensor images, bool trainMode)
    {
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(Setup.Model, parameters: false);
        using var noGrad = no_grad();
        Setup.Model.train(trainMode);
        DropoutOff(Setup.Model);
        var count = (int)images.shape[0];
        var chunks = new List<Tensor>();
        for (var start = 0; start < count; start += 32)
        {
            chunks.Add(ModelFeatures.Of(Setup.Model, images.narrow(0, start, Math.Min(32, count - start)).to(Device)).cpu());
        }
        return cat(chunks, 0).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Puts every dropout layer of <paramref name="model"/> in eval mode, stochastic depth included (so train-mode passes
    /// are repeatable, and differ from eval mode only by what BatchNorm does).
    /// </summary>
    public static void DropoutOff(nn.Module model)
    {
        foreach (var dropout in ModelSnapshot.AllModules(model).Where(IsDropout))
        {
            dropout.eval();
        }
    }

    private static bool IsDropout(nn.Module module) =>
        module is Models.Backbones.StochasticDepth || module.GetType().Name.Contains("Dropout", StringComparison.Ordinal);

    /// <summary>The first <paramref name="maxSamples"/> samples of a source's epoch 0.</summary>
    public static ProbeBatch FirstBatch(IBatchSource source, int maxSamples, CancellationToken cancellationToken)
    {
        var images = new List<Tensor>();
        var labels = new List<Tensor>();
        var count = 0;
        using var scope = NewDisposeScope();
        foreach (var batch in source.Batches(0, cancellationToken))
        {
            using var owned = batch;
            var take = Math.Min(batch.Count, maxSamples - count);
            images.Add(batch.Images.narrow(0, 0, take).clone());
            labels.Add(batch.Labels.narrow(0, 0, take).clone());
            count += take;
            if (count >= maxSamples) break;
        }
        if (count == 0)
            throw new HoldoutException("A batch source yielded no batches; the doctor needs at least one training and one validation batch. Check that both splits have images.");
        return new ProbeBatch(cat(images, 0).DetachFromDisposeScope(), cat(labels, 0).to_type(ScalarType.Int64).DetachFromDisposeScope());
    }

    /// <summary>
    /// Trains the setup's trainable parameters on one fixed batch for at most <paramref name="steps"/> steps with
    /// the trainer (the setup's optimiser at its learning rate, constant), stopping once the loss falls below
    /// <paramref name="stopBelow"/>. With <paramref name="module"/>, trains that part of the model (its head) on
    /// <paramref name="inputs"/> (features) instead. The caller restores the weights (<see cref="ModelSnapshot"/>).
    /// </summary>
    /// <exception cref="ExternalException">A training step fails in the engine.</exception>
    public FitResult Fit(Tensor inputs, Tensor labels, int steps, double stopBelow, nn.Module<Tensor, Tensor>? module = null)
    {
        var options = (Setup.Training ?? new TrainingOptions()) with { Seed = Options.Seed, StopOnNonFiniteLoss = true };
        using var loss = ClassificationLoss.FromFunction(Setup.Loss);
        return Train(module ?? Setup.Model, inputs, labels, steps, stopBelow, loss, options, Setup.LearningRate);
    }

    /// <summary>
    /// Trains <paramref name="module"/>'s trainable parameters on (<paramref name="inputs"/>, <paramref name="labels"/>)
    /// as one batch per step, through <see cref="Trainer"/> at a constant learning rate, for at most
    /// <paramref name="steps"/> steps or until the loss falls below <paramref name="stopBelow"/>.
    /// </summary>
    /// <exception cref="ExternalException">A training step fails in the engine.</exception>
    public static FitResult Train(nn.Module<Tensor, Tensor> module, Tensor inputs, Tensor labels, int steps, double stopBelow,
        ClassificationLoss loss, TrainingOptions options, double learningRate)
    {
        var trainable = module.parameters().Where(p => p.requires_grad).ToList();
        var recorder = new FitRecorder(trainable, stopBelow);
        using var source = new TensorBatchSource(inputs, labels, (int)inputs.shape[0], shuffle: false);
        using var trainer = new Trainer(module, options, [recorder], loss);
        trainer.Fit(source, null, new TrainingPhase("doctor probe", steps, [new ParameterGroup(trainable, learningRate)], ScheduleKind.Constant));
        return recorder.Result;
    }

    public void Dispose()
    {
        TrainBatch.Dispose();
        ValidationBatch.Dispose();
        _deepSamples?.Dispose();
        _deepFeatures?.Dispose();
        _deepThumbnails?.Dispose();
    }
}
