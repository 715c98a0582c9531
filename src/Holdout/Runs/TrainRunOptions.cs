using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Everything <c>holdout train</c> does, as one options record: where the images are, which model and recipe, and
/// how to train. Every value has a default; <see cref="TrainingRun"/> records all of them in <c>config.json</c>.
/// </summary>
/// <param name="Data">A class-per-folder dataset, an already-split folder, a CSV manifest or a <c>split.csv</c>.
/// Defaults to the sample dataset shipped in the repository (<c>samples/beans</c>).</param>
/// <param name="Model">The architecture. Defaults to ResNet-18.</param>
/// <param name="Weights"><c>bundled</c>, <c>none</c> or a torchvision-format <c>.safetensors</c> file. Defaults to
/// <c>bundled</c> for ResNet-18 (the only architecture with bundled weights) and <c>none</c> for the others.</param>
/// <param name="Recipe">Defaults to fine-tune with pretrained weights, scratch without.</param>
/// <param name="Epochs">Total epochs, freeze epochs included. Defaults to null: <see cref="EffectiveEpochs"/> (6 for fine-tune, 5 otherwise).</param>
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
/// <param name="Probe">Fit the head to convergence on the frozen backbone's cached features (a linear probe) for the
/// fine-tune recipe's head phase, and for the frozen recipe without augmentation. False trains the head for
/// <paramref name="FreezeEpochs"/> epochs over images instead (fastai's fine_tune). Defaults to true.</param>
/// <param name="Precision">The backbone's number format: auto (the faster of float32 and bfloat16 for the recipe's work on
/// this machine, measured: <see cref="PrecisionChoices"/>), fp32 or bf16. Defaults to auto.</param>
/// <param name="BatchNorm">What the backbone's BatchNorm layers do while training (<see cref="BatchNormPolicy"/>).
/// Defaults to null: <see cref="BatchNormPolicy.AlwaysEval"/> for the fine-tune recipe (the pretrained statistics stay,
/// so the features the probe was fitted on do not shift when every layer unfreezes),
/// <see cref="BatchNormPolicy.FrozenStaysInEval"/> otherwise; <see cref="TrainBatchNorm"/> means
/// <see cref="BatchNormPolicy.TrainBatchNorm"/>.</param>
/// <param name="EvalImageSize">The side validation, test and prediction images are rendered at after training. Defaults to
/// null: chosen on validation between <see cref="EffectiveImageSize"/> and <see cref="FixResEvalSize"/> (see
/// <see cref="RunSetup.ChooseEvaluationSize"/>).</param>
/// <param name="FineTuneGate">Fine-tune with the linear probe: when the probe already classifies at least this share of
/// the validation images correctly (and there are at least <see cref="RunSetup.FineTuneGateMinValidation"/> of them),
/// the all-layers epochs are skipped and the probe is kept: they cost several times the probe's time for at most the
/// remaining share; and a probe right on at least <see cref="RunSetup.StrongProbe"/> must be beaten by the first
/// all-layers epoch, or fine-tuning stops there. Null turns both off. Defaults to 0.99 (see
/// <see cref="RunSetup.FineTuneGateReason"/> and <see cref="RunSetup.StrongProbeReason"/>).</param>
/// <param name="Budget">A wall-time budget for the whole run (the probe, the all-layers epochs and the final evaluation):
/// the all-layers epochs, and if needed the image size, are chosen from the measured throughput to fit it, and training
/// stops gracefully when it runs out (the best weights are kept); <see cref="Epochs"/>, when given, is then the most
/// epochs it may plan. Defaults to null: no budget, the epochs as given.</param>
public sealed record TrainRunOptions(
    string? Data = null,
    Architecture Model = Architecture.ResNet18,
    string? Weights = null,
    RecipeKind? Recipe = null,
    int? Epochs = null,
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
    bool DropLast = false,
    Precision Precision = Precision.Auto,
    bool Probe = true,
    BatchNormPolicy? BatchNorm = null,
    int? EvalImageSize = null,
    double? FineTuneGate = TrainRunOptions.DefaultFineTuneGate,
    TimeSpan? Budget = null)
{
    /// <summary>The default <see cref="FineTuneGate"/>: 0.99, the probe's validation accuracy above which fine-tuning all layers is skipped.</summary>
    public const double DefaultFineTuneGate = 0.99;

    /// <summary>The metrics <see cref="Monitor"/> may name.</summary>
    public static IReadOnlyList<string> Monitors { get; } = ["val_loss", "val_acc", "loss", "acc"];

    /// <summary>The weights actually used: the given value, or the architecture's default (bundled for ResNet-18, none otherwise).</summary>
    public string EffectiveWeights => Weights ?? (Model == Architecture.ResNet18 ? ModelOptions.BundledWeights : ModelOptions.NoWeights);

    /// <summary>Whether the backbone starts from pretrained weights.</summary>
    public bool Pretrained => Model != Architecture.SimpleCnn && EffectiveWeights != ModelOptions.NoWeights;

    /// <summary>The recipe actually used.</summary>
    public RecipeKind EffectiveRecipe => Recipe ?? (Pretrained ? RecipeKind.FineTune : RecipeKind.Scratch);

    /// <summary>
    /// The total epochs actually run: 6 for the fine-tune recipe (the probe, then five all-layers epochs), 5 for the others.
    /// Against 5, the sixth epoch lowered the validation loss on two of the three study datasets and raised it slightly on
    /// the third (see docs/defaults-study.md).
    /// </summary>
    public int EffectiveEpochs => Epochs ?? (EffectiveRecipe == RecipeKind.FineTune ? 6 : 5);

    /// <summary>The image size actually used.</summary>
    public int EffectiveImageSize => ImageSize ?? (Model == Architecture.SimpleCnn ? 128 : 224);

    /// <summary>
    /// The head learning rate actually used: 2e-3 for the simple CNN, 1e-3 otherwise (the fine-tune recipe's all-layers
    /// phase trains at half of it). After the linear probe, 1e-3 ended with a lower validation loss than the 3e-4 used
    /// before on all three study datasets (see docs/defaults-study.md).
    /// </summary>
    public double EffectiveLearningRate => LearningRate ?? (Model == Architecture.SimpleCnn ? 2e-3 : 1e-3);

    /// <summary>
    /// The evaluation size FixRes (Touvron et al., "Fixing the train-test resolution discrepancy", NeurIPS 2019) suggests
    /// for this training: a random resized crop of area fraction s (uniform in the preset's range) shows objects
    /// <c>f / E[sqrt(s)]</c> times larger than evaluation does (f: the evaluation region's side as a fraction of the
    /// image, 0.875 for the centre crop), so evaluation enlarges its input by that factor, rounded to 16 pixels:
    /// 224 -> 256 for the <c>standard</c> preset (area 25-100 %), 224 for <c>light</c> (60-100 %). The training size
    /// when training has no random crop.
    /// </summary>
    /// <param name="evalResize">How the model's evaluation resizes (its preprocessing's).</param>
    /// <param name="evalCrop">The centre crop's fraction with <paramref name="evalResize"/> (its preprocessing's).</param>
    public int FixResEvalSize(EvalResize evalResize = EvalResize.ResizeAndCenterCrop, double evalCrop = Preprocessing.DefaultEvalCrop)
    {
        var size = EffectiveImageSize;
        var augmentation = AugmentationOptions.Preset(Augment);
        if (!augmentation.HasRandomCrop) return size;
        double a = augmentation.CropScaleMin, b = augmentation.CropScaleMax;
        var meanSide = b > a ? 2.0 / 3.0 * (Math.Pow(b, 1.5) - Math.Pow(a, 1.5)) / (b - a) : Math.Sqrt(a);
        var evaluated = evalResize == EvalResize.ResizeAndCenterCrop ? evalCrop : 1.0;
        return (int)Math.Round(size * evaluated / meanSide / 16, MidpointRounding.AwayFromZero) * 16;
    }

    /// <summary>The BatchNorm policy actually used (see <see cref="BatchNorm"/>).</summary>
    public BatchNormPolicy EffectiveBatchNorm => TrainBatchNorm ? BatchNormPolicy.TrainBatchNorm
        : BatchNorm ?? (EffectiveRecipe == RecipeKind.FineTune ? BatchNormPolicy.AlwaysEval : BatchNormPolicy.FrozenStaysInEval);

    /// <summary>Checks every option and throws a message that names the option, what it got and what it expects.</summary>
    /// <exception cref="HoldoutException">An option is out of range or unknown.</exception>
    public void Validate()
    {
        if (EffectiveEpochs < 1) throw new HoldoutException($"--epochs must be at least 1, got {EffectiveEpochs}.");
        if (BatchSize < 1) throw new HoldoutException($"--batch-size must be at least 1, got {BatchSize}.");
        if (EffectiveImageSize < 32) throw new HoldoutException($"--image-size must be at least 32 pixels, got {EffectiveImageSize}.");
        if (EvalImageSize is < 32 or > ModelBundle.MaxImageSize) throw new HoldoutException($"--eval-size must be from 32 to {ModelBundle.MaxImageSize} pixels, got {EvalImageSize}. Leave it out to choose on validation.");
        if (EvalImageSize is { } evalSize && evalSize != EffectiveImageSize && Model == Architecture.SimpleCnn)
            throw new HoldoutException($"--eval-size {evalSize} differs from --image-size {EffectiveImageSize}, but the simple CNN's head flattens its feature map and takes only its input size. Leave --eval-size out, or use a ResNet.");
        if (EffectiveLearningRate is <= 0 or > 10 || double.IsNaN(EffectiveLearningRate)) throw new HoldoutException($"--lr must be a positive learning rate such as 1e-3, got {EffectiveLearningRate}.");
        if (FreezeEpochs < 0 || (EffectiveRecipe == RecipeKind.FineTune && FreezeEpochs >= EffectiveEpochs && EffectiveEpochs > 1))
            throw new HoldoutException($"--freeze-epochs ({FreezeEpochs}) must be 0 or more and less than --epochs ({EffectiveEpochs}) for the fine-tune recipe.");
        if (EffectiveRecipe == RecipeKind.FineTune && Probe && FreezeEpochs != 1)
            throw new HoldoutException($"--freeze-epochs ({FreezeEpochs}) counts head epochs over images, which replace the linear probe. Pass --no-probe with it, or leave --freeze-epochs at 1.");
        if (!(LearningRateMultiplier >= 1)) throw new HoldoutException($"--lr-mult must be 1 or more (fastai uses 100), got {LearningRateMultiplier}.");
        if (Model is not Architecture.ResNet18 && string.Equals(EffectiveWeights, ModelOptions.BundledWeights, StringComparison.OrdinalIgnoreCase))
            throw new HoldoutException($"{OptionNames.Of(Model)} has no bundled pretrained weights (only resnet18 does). Pass torchvision's weights for it with --weights FILE.pth (or .safetensors), or train from scratch with --weights none.");
        if (TrainBatchNorm && BatchNorm is { } policy && policy != BatchNormPolicy.TrainBatchNorm)
            throw new HoldoutException($"--train-bn and --batch-norm {OptionNames.Of(policy)} contradict each other. Pass one of them.");
        if (EffectiveBatchNorm == BatchNormPolicy.AlwaysEval && EffectiveRecipe == RecipeKind.Scratch)
            throw new HoldoutException("--batch-norm always-eval keeps the backbone's BatchNorm statistics, which a model trained from scratch has not learnt yet. Use it with pretrained weights, or leave --batch-norm out.");
        if (Patience < 0) throw new HoldoutException($"--patience must be 0 (off) or more epochs, got {Patience}.");
        if (Workers < 0) throw new HoldoutException($"--workers must be 0 (one per core) or more, got {Workers}.");
        if (WeightDecay < 0 || double.IsNaN(WeightDecay)) throw new HoldoutException($"--weight-decay must be 0 or more, got {WeightDecay}.");
        if (LabelSmoothing is < 0 or >= 1 || double.IsNaN(LabelSmoothing)) throw new HoldoutException($"--label-smoothing must be in [0, 1), got {LabelSmoothing}. Typical values are 0 (off) and 0.1.");
        if (FineTuneGate is { } gate && (gate is <= 0 or > 1 || double.IsNaN(gate)))
            throw new HoldoutException($"--fine-tune-gate must be a validation accuracy in (0, 1] such as 0.99, or 'off', got {gate}.");
        if (Budget is { } budget && budget < TimeSpan.FromSeconds(10))
            throw new HoldoutException($"--budget must be at least 10 seconds (e.g. 90s, 10m, 1h), got {budget.TotalSeconds:0.#} s.");
        if (!Monitors.Contains(Monitor)) throw new HoldoutException($"--monitor '{Monitor}' is not one of: {string.Join(", ", Monitors)}.");
        _ = AugmentationOptions.Preset(Augment);
        _ = SplitRatios.Parse(Split);
    }
}
