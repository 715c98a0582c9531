using Holdout.Data;
using Holdout.Models;

namespace Holdout.Training;

/// <summary>
/// Everything <c>holdout train</c> does, as one options record: where the images are, which model and recipe, and
/// how to train. Every value has a default; <see cref="TrainingRun"/> records all of them in <c>config.json</c>.
/// </summary>
/// <param name="Data">A class-per-folder dataset, an already-split folder, a CSV manifest or a <c>split.csv</c>.
/// Defaults to the sample dataset shipped in the repository (<c>samples/beans</c>).</param>
/// <param name="Model">The architecture. Defaults to ResNet-18.</param>
/// <param name="Weights"><c>bundled</c>, <c>none</c> or a torchvision-format <c>.safetensors</c> file. Defaults to
/// <c>bundled</c> for ResNet-18 and <c>none</c> for the simple CNN; ResNet-34/50 need a file or <c>none</c>.</param>
/// <param name="Recipe">Defaults to fine-tune with pretrained weights, scratch without.</param>
/// <param name="Epochs">Total epochs, freeze epochs included. Defaults to 5.</param>
/// <param name="FreezeEpochs">Fine-tune: epochs with the backbone frozen first. Defaults to 1.</param>
/// <param name="LearningRateMultiplier">Fine-tune: the earliest layers train at lr / this. Defaults to 100 (fastai).</param>
/// <param name="BatchSize">Samples per batch. Defaults to 32.</param>
/// <param name="ImageSize">Model input side in pixels. Defaults to 224 (128 for the simple CNN).</param>
/// <param name="LearningRate">Peak learning rate of the head. Defaults to 1e-3 (2e-3 for the simple CNN).</param>
/// <param name="Augment"><c>none</c>, <c>light</c> or <c>standard</c>. Defaults to <c>standard</c>.</param>
/// <param name="Seed">Drives splitting, shuffling, augmentation and initialisation. Defaults to 42.</param>
/// <param name="Split">Train/validation/test percentages. Defaults to 70/15/15.</param>
/// <param name="Patience">Early-stopping patience in epochs (0 disables early stopping). Defaults to 3.</param>
/// <param name="Monitor">The metric early stopping and the best checkpoint watch. Defaults to <c>val_loss</c>.</param>
/// <param name="Workers">Decoding workers; 0 = one per core. Defaults to 0.</param>
/// <param name="Out">The run folder. Defaults to <c>runs/&lt;time&gt;-&lt;model&gt;</c>.</param>
/// <param name="Optimizer">Defaults to Adam.</param>
/// <param name="Schedule">Defaults to one-cycle.</param>
/// <param name="WeightDecay">Defaults to 0.</param>
/// <param name="LabelSmoothing">Defaults to 0.</param>
/// <param name="ClassWeights">Weight the loss by inverse class frequency (for imbalanced data). Defaults to false.</param>
/// <param name="TrainBatchNorm">Let BatchNorm layers of a frozen backbone keep training (fastai's train_bn) instead
/// of staying in evaluation mode (Keras's behaviour). Defaults to false.</param>
/// <param name="Strict">Unreadable images are an error instead of being skipped. Defaults to false.</param>
/// <param name="DropLast">Drop the last partial training batch. Defaults to false.</param>
public sealed record TrainRunOptions(
    string? Data = null,
    Architecture Model = Architecture.ResNet18,
    string? Weights = null,
    Recipe? Recipe = null,
    int Epochs = 5,
    int FreezeEpochs = 1,
    double LearningRateMultiplier = 100,
    int BatchSize = 32,
    int? ImageSize = null,
    double? LearningRate = null,
    string Augment = "standard",
    long Seed = 42,
    string Split = "70/15/15",
    int Patience = 3,
    string Monitor = "val_loss",
    int Workers = 0,
    string? Out = null,
    OptimizerKind Optimizer = OptimizerKind.Adam,
    ScheduleKind Schedule = ScheduleKind.OneCycle,
    double WeightDecay = 0,
    double LabelSmoothing = 0,
    bool ClassWeights = false,
    bool TrainBatchNorm = false,
    bool Strict = false,
    bool DropLast = false)
{
    /// <summary>The weights actually used: the given value, or the architecture's default.</summary>
    public string EffectiveWeights => Weights ?? (Model == Architecture.ResNet18 ? ModelOptions.BundledWeights : Model == Architecture.SimpleCnn ? ModelOptions.NoWeights : ModelOptions.BundledWeights);

    /// <summary>Whether the backbone starts from pretrained weights.</summary>
    public bool Pretrained => Model != Architecture.SimpleCnn && EffectiveWeights != ModelOptions.NoWeights;

    /// <summary>The recipe actually used.</summary>
    public Recipe EffectiveRecipe => Recipe ?? (Pretrained ? Training.Recipe.FineTune : Training.Recipe.Scratch);

    /// <summary>The image size actually used.</summary>
    public int EffectiveImageSize => ImageSize ?? (Model == Architecture.SimpleCnn ? 128 : 224);

    /// <summary>The head learning rate actually used.</summary>
    public double EffectiveLearningRate => LearningRate ?? (Model == Architecture.SimpleCnn ? 2e-3 : 1e-3);
}
