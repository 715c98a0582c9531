namespace Holdout.Imaging;

/// <summary>
/// The changes drawn for one sample in one epoch: the source region (in displayed pixels, before rotation), the
/// rotation, the flips and the colour factors. Evaluation uses <see cref="Augmentation.Evaluation"/>.
/// </summary>
/// <param name="CropX">Left of the source region.</param>
/// <param name="CropY">Top of the source region.</param>
/// <param name="CropWidth">Width of the source region.</param>
/// <param name="CropHeight">Height of the source region.</param>
/// <param name="RotationDegrees">Rotation about the region's centre, degrees (clockwise on screen).</param>
/// <param name="FlipHorizontal">Mirror left-right.</param>
/// <param name="FlipVertical">Flip upside-down.</param>
/// <param name="Brightness">Brightness factor (1 = unchanged).</param>
/// <param name="Contrast">Contrast factor (1 = unchanged).</param>
/// <param name="Saturation">Saturation factor (1 = unchanged).</param>
internal sealed record AugmentationParameters(
    double CropX, double CropY, double CropWidth, double CropHeight,
    double RotationDegrees, bool FlipHorizontal, bool FlipVertical,
    double Brightness, double Contrast, double Saturation)
{
    /// <summary>True when a colour factor differs from 1.</summary>
    public bool HasColorJitter => Brightness != 1 || Contrast != 1 || Saturation != 1;
}
