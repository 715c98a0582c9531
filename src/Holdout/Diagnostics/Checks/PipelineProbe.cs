using System.Runtime.InteropServices;
using Holdout.Data;
using Holdout.Models;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// What every check works on: the user's setup, the check options, the model's device, and one small batch of
/// training and of validation samples. The deep checks train through <see cref="Trainer"/>, the loop training uses.
/// </summary>
internal sealed class PipelineProbe : IDisposable
{
    public PipelineProbe(PipelineSetup setup, PipelineCheckOptions options, CancellationToken cancellationToken)
    {
        Setup = setup;
        Options = options;
        Device = ModelOutputs.DeviceOf(setup.Model);
        TrainBatch = FirstBatch(setup.Train, options.ProbeSamples, cancellationToken);
        ValidationBatch = FirstBatch(setup.Validation, options.ProbeSamples, cancellationToken);
    }

    public PipelineSetup Setup { get; }

    public PipelineCheckOptions Options { get; }

    public Device Device { get; }

    public ProbeBatch TrainBatch { get; }

    public ProbeBatch ValidationBatch { get; }

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
    /// <paramref name="stopBelow"/>. The caller restores the weights (<see cref="ModelSnapshot"/>).
    /// </summary>
    /// <exception cref="ExternalException">A training step fails in the engine.</exception>
    public FitResult Fit(Tensor images, Tensor labels, int steps, double stopBelow)
    {
        var trainable = Setup.Model.parameters().Where(p => p.requires_grad).ToList();
        var recorder = new FitRecorder(trainable, stopBelow);
        var options = (Setup.Training ?? new TrainingOptions()) with { Seed = Options.Seed, StopOnNonFiniteLoss = true };
        using var source = new TensorBatchSource(images, labels, (int)images.shape[0], shuffle: false);
        using var loss = ClassificationLoss.FromFunction(Setup.Loss);
        using var trainer = new Trainer(Setup.Model, options, [recorder], loss);
        trainer.Fit(source, null, new TrainingPhase("doctor probe", steps, [new ParameterGroup(trainable, Setup.LearningRate)], ScheduleKind.Constant));
        return recorder.Result;
    }

    public void Dispose()
    {
        TrainBatch.Dispose();
        ValidationBatch.Dispose();
    }
}
