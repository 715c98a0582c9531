namespace Holdout.Imaging;

/// <summary>
/// How 8-bit RGB pixels become the tensor a model takes: input size, channel order, value scale, per-channel mean
/// and std (in the model's channel order and value scale), and how evaluation images are resized. It travels with
/// the model (see <c>BackboneSpec</c>) so that training, validation, test and prediction all prepare images the
/// same way, and never from statistics of the image itself.
/// </summary>
/// <param name="InputSize">Square input side in pixels, e.g. 224.</param>
/// <param name="ColorOrder">Channel order of the model input.</param>
/// <param name="Scale">Value scale before normalisation.</param>
/// <param name="Mean">Per-channel mean to subtract, in <paramref name="ColorOrder"/> and <paramref name="Scale"/>.</param>
/// <param name="Std">Per-channel std to divide by, in the same order and scale.</param>
/// <param name="EvalResize">How evaluation images are resized. Defaults to resize-and-centre-crop.</param>
/// <param name="EvalSize">The square side evaluation and prediction images are rendered at, when it differs from
/// <paramref name="InputSize"/> (the training size): a model trained on random resized crops sees objects larger than a
/// centre crop of the same size shows them, and a model whose head pools globally takes any input size (FixRes,
/// Touvron et al., NeurIPS 2019). Defaults to null: <paramref name="InputSize"/>.</param>
/// <param name="EvalCrop">With <see cref="EvalResize.ResizeAndCenterCrop"/>, the centre crop's side as a fraction of the
/// shorter side: torchvision's crop size over resize size in the weights' metadata (224/256 = 0.875 for ResNets,
/// EfficientNet-B0 and MobileNetV3; 224/236 for ConvNeXt-Tiny). Defaults to 0.875.</param>
public sealed record Preprocessing(
    int InputSize,
    ColorOrder ColorOrder,
    ValueScale Scale,
    float[] Mean,
    float[] Std,
    EvalResize EvalResize = EvalResize.ResizeAndCenterCrop,
    int? EvalSize = null,
    double EvalCrop = Preprocessing.DefaultEvalCrop)
{
    /// <summary>The centre crop of torchvision's classic evaluation: Resize(256) then CenterCrop(224).</summary>
    public const double DefaultEvalCrop = 0.875;

    /// <summary>The side evaluation and prediction images are rendered at: <see cref="EvalSize"/>, else <see cref="InputSize"/>.</summary>
    public int EvaluationSize => EvalSize ?? InputSize;

    /// <summary>
    /// The preprocessing of evaluation and prediction: the same normalisation at <see cref="EvaluationSize"/>
    /// (what <see cref="Data.BatchLoader.ForEvaluation"/>, prediction and the ONNX export render).
    /// </summary>
    public Preprocessing ForEvaluation() => EvalSize is { } size && size != InputSize ? this with { InputSize = size, EvalSize = null } : this;

    /// <summary>This preprocessing with evaluation at <paramref name="size"/> (null or the input size: the input size).</summary>
    /// <param name="size">The evaluation side in pixels.</param>
    public Preprocessing WithEvaluationSize(int? size) => this with { EvalSize = size == InputSize ? null : size };

    /// <summary>torchvision's ImageNet preprocessing: RGB, 0..1, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).</summary>
    /// <param name="inputSize">The square input side.</param>
    /// <param name="evalCrop">The evaluation centre crop's fraction of the shorter side (crop size / resize size).</param>
    public static Preprocessing ImageNetTorchvision(int inputSize = 224, double evalCrop = DefaultEvalCrop) =>
        new(inputSize, ColorOrder.Rgb, ValueScale.UnitInterval, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], EvalCrop: evalCrop);

    /// <summary>
    /// The bundled CNTK ResNet-18's preprocessing: BGR, 0..255, minus the per-channel means of its mean image
    /// (B 103.06, G 115.90, R 123.15), std 1.
    /// </summary>
    public static Preprocessing CntkResNet(int inputSize = 224) =>
        new(inputSize, ColorOrder.Bgr, ValueScale.Byte, [103.06f, 115.90f, 123.15f], [1f, 1f, 1f]);

    /// <summary>A model trained from scratch: RGB, 0..1, mean 0.5, std 0.25 (centred, unit-ish variance).</summary>
    public static Preprocessing Scratch(int inputSize) =>
        new(inputSize, ColorOrder.Rgb, ValueScale.UnitInterval, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);

    /// <summary>
    /// For each model input channel, the RGB channel (0 red, 1 green, 2 blue) it is read from: 0, 1, 2 for
    /// <see cref="ColorOrder.Rgb"/>, 2, 1, 0 for <see cref="ColorOrder.Bgr"/>.
    /// </summary>
    internal int[] SourceChannels() => ColorOrder == ColorOrder.Rgb ? [0, 1, 2] : [2, 1, 0];

    /// <summary>
    /// The normalisation as one multiply-add per model input channel on 0..255 pixel values:
    /// <c>value = pixel * Multiply[c] + Add[c]</c>, with Multiply = scale / std and Add = -mean / std. The data loader
    /// and the exported ONNX graph both use exactly these float32 terms, in this order.
    /// </summary>
    internal (float[] Multiply, float[] Add) ChannelAffine()
    {
        var scale = Scale == ValueScale.UnitInterval ? 1f / 255f : 1f;
        var multiply = new float[3];
        var add = new float[3];
        for (var c = 0; c < 3; c++)
        {
            multiply[c] = scale / Std[c];
            add[c] = -Mean[c] / Std[c];
        }
        return (multiply, add);
    }

    /// <inheritdoc/>
    public bool Equals(Preprocessing? other) =>
        other is not null && InputSize == other.InputSize && ColorOrder == other.ColorOrder && Scale == other.Scale &&
        Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std) && EvalResize == other.EvalResize && EvaluationSize == other.EvaluationSize &&
        EvalCrop == other.EvalCrop;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(InputSize, ColorOrder, Scale, Mean[0], Std[0], EvalResize, EvaluationSize);
}
