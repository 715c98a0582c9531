using Holdout.Data;
using Holdout.Imaging;
using Holdout.Training;
using static TorchSharp.torch;

namespace Holdout.Diagnostics;

/// <summary>
/// A training setup for the pipeline and model checks: the user's own model, loss and batch sources (or the ones
/// a Holdout run uses). The checks never change it for good: weights, BatchNorm statistics and train/eval modes are
/// restored after every probe.
/// </summary>
/// <param name="Model">The model as it will be trained; any module from images to outputs. init-loss assumes it is at initialisation unless <see cref="Trained"/> is set.</param>
/// <param name="Loss">The loss exactly as the training code calls it: (model outputs, int64 class labels) to a scalar.</param>
/// <param name="Train">The training batch source.</param>
/// <param name="Validation">The validation batch source.</param>
public sealed record PipelineSetup(nn.Module<Tensor, Tensor> Model, Func<Tensor, Tensor, Tensor> Loss, IBatchSource Train, IBatchSource Validation)
{
    /// <summary>
    /// What the model's input should look like (the backbone's normalisation). Defaults to null: the model's own
    /// <see cref="Models.BackboneSpec"/> when it is a <see cref="Models.ImageClassifier"/>, else no specification check.
    /// </summary>
    public Preprocessing? ExpectedInput { get; init; }

    /// <summary>
    /// The optimiser the training uses (kind, weight decay, momentum); the deep checks train with it through
    /// <see cref="Trainer"/>. Defaults to null: Adam without weight decay.
    /// </summary>
    public TrainingOptions? Training { get; init; }

    /// <summary>The learning rate the deep checks train the trainable parameters at. Defaults to 3e-3.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>
    /// The number of training images of each class, in label order. init-loss then expects the loss of predicting these
    /// class shares (for the whole split, their entropy) instead of the loss of uniform predictions (ln C). Defaults to
    /// null (uniform).
    /// </summary>
    public IReadOnlyList<int>? TrainingClassCounts { get; init; }

    /// <summary>True when <see cref="Model"/> has already been trained: its loss then says nothing about initialisation and init-loss is skipped. Defaults to false.</summary>
    public bool Trained { get; init; }

    /// <summary>The per-epoch history of a training of this setup, for the learning-curve checks. Defaults to null (no curve checks).</summary>
    public IReadOnlyList<EpochRecord>? History { get; init; }

    /// <summary>The epoch whose weights the run kept (its best.holdout), for the curve checks. Defaults to null (unknown).</summary>
    public int? KeptEpoch { get; init; }

    /// <summary>
    /// The accuracy of always predicting the most frequent validation class, for chance-level-validation. Defaults to
    /// null: measured from the validation source's labels.
    /// </summary>
    public double? MajorityRate { get; init; }
}
