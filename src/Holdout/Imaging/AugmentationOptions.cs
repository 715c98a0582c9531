namespace Holdout.Imaging;

/// <summary>
/// Random changes applied to training images (never to evaluation images), drawn per (seed, epoch, sample) so a run
/// is reproducible whatever the thread timing. All changes are combined into one resampling pass.
/// </summary>
/// <param name="RotationDegrees">Rotation uniform in [-d, d] degrees about the crop centre; corners outside the image are black. Defaults to 0 (off).</param>
/// <param name="HorizontalFlipProbability">Probability of a left-right mirror. Defaults to 0.</param>
/// <param name="VerticalFlipProbability">Probability of an upside-down flip. Defaults to 0.</param>
/// <param name="CropScaleMin">Random resized crop: smallest crop area as a fraction of the image. Defaults to 1 (with max 1: no random crop).</param>
/// <param name="CropScaleMax">Random resized crop: largest crop area fraction. Defaults to 1.</param>
/// <param name="CropRatioMin">Random resized crop: smallest aspect ratio (width/height), drawn log-uniformly. Defaults to 3/4.</param>
/// <param name="CropRatioMax">Random resized crop: largest aspect ratio. Defaults to 4/3.</param>
/// <param name="Brightness">Colour jitter: brightness factor uniform in [1-b, 1+b]. Defaults to 0 (off).</param>
/// <param name="Contrast">Colour jitter: contrast factor uniform in [1-c, 1+c] (blend with the image's mean grey). Defaults to 0.</param>
/// <param name="Saturation">Colour jitter: saturation factor uniform in [1-s, 1+s] (blend with each pixel's grey). Defaults to 0.</param>
public sealed record AugmentationOptions(
    double RotationDegrees = 0,
    double HorizontalFlipProbability = 0,
    double VerticalFlipProbability = 0,
    double CropScaleMin = 1,
    double CropScaleMax = 1,
    double CropRatioMin = 3.0 / 4.0,
    double CropRatioMax = 4.0 / 3.0,
    double Brightness = 0,
    double Contrast = 0,
    double Saturation = 0)
{
    /// <summary>No augmentation: training images are prepared exactly like evaluation images.</summary>
    public static AugmentationOptions None { get; } = new();

    /// <summary>Gentle: random resized crop (area 60-100 %), horizontal flip, colour jitter 0.1.</summary>
    public static AugmentationOptions Light { get; } = new(
        HorizontalFlipProbability: 0.5, CropScaleMin: 0.6, Brightness: 0.1, Contrast: 0.1, Saturation: 0.1);

    /// <summary>The usual fine-tuning set: random resized crop (area 25-100 %), horizontal flip, rotation ±10°, colour jitter 0.2.</summary>
    public static AugmentationOptions Standard { get; } = new(
        RotationDegrees: 10, HorizontalFlipProbability: 0.5, CropScaleMin: 0.25, Brightness: 0.2, Contrast: 0.2, Saturation: 0.2);

    /// <summary>torchvision's <c>RandomResizedCrop(size)</c> + <c>RandomHorizontalFlip()</c> (area 8-100 %), as in the PyTorch peer.</summary>
    public static AugmentationOptions TorchvisionCropAndFlip { get; } = new(HorizontalFlipProbability: 0.5, CropScaleMin: 0.08);

    /// <summary>The preset names <see cref="Preset"/> accepts.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["none", "light", "standard"];

    /// <summary>True when any change is enabled.</summary>
    public bool IsEnabled => RotationDegrees > 0 || HorizontalFlipProbability > 0 || VerticalFlipProbability > 0 || HasRandomCrop
        || Brightness > 0 || Contrast > 0 || Saturation > 0;

    /// <summary>True when the random resized crop is on (a crop area range below 1).</summary>
    public bool HasRandomCrop => CropScaleMin < 1;

    /// <summary>True when any colour jitter is on.</summary>
    public bool HasColorJitter => Brightness > 0 || Contrast > 0 || Saturation > 0;

    /// <summary>The preset called <paramref name="name"/>: <c>none</c>, <c>light</c> or <c>standard</c> (case-insensitive).</summary>
    /// <param name="name">The preset name.</param>
    /// <exception cref="HoldoutException">The name is not a preset.</exception>
    public static AugmentationOptions Preset(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" => None,
        "light" => Light,
        "standard" => Standard,
        _ => throw new HoldoutException($"Unknown augmentation preset '{name}'. Expected one of: {string.Join(", ", PresetNames)}."),
    };
}
