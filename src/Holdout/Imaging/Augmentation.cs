namespace Holdout.Imaging;

/// <summary>
/// Draws the changes for one sample. Training draws from a generator seeded by (seed, epoch, sample index) only, so
/// the same run gives the same images whatever the thread timing or worker count; evaluation is fixed: the
/// <see cref="EvalResize"/> region (a centre crop of the shorter side, 0.875 of it for most backbones, or the whole
/// image), nothing random.
/// </summary>
internal static class Augmentation
{
    /// <summary>The fixed evaluation region of a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    /// <param name="width">Displayed width.</param>
    /// <param name="height">Displayed height.</param>
    /// <param name="resize">How evaluation images are resized.</param>
    /// <param name="crop">The centre crop's side as a fraction of the shorter side (<see cref="Preprocessing.EvalCrop"/>).</param>
    public static AugmentationParameters Evaluation(int width, int height, EvalResize resize, double crop = Preprocessing.DefaultEvalCrop)
    {
        if (resize == EvalResize.Stretch)
        {
            return new AugmentationParameters(0, 0, width, height, 0, false, false, 1, 1, 1);
        }
        // Shorter side to size / crop, then a size x size centre crop = a centre square of crop x the shorter side.
        var side = crop * Math.Min(width, height);
        return new AugmentationParameters((width - side) / 2, (height - side) / 2, side, side, 0, false, false, 1, 1, 1);
    }

    /// <summary>Draws the training changes for one sample.</summary>
    /// <param name="options">What may change.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch (0-based).</param>
    /// <param name="sampleIndex">The sample's index in its split.</param>
    /// <param name="width">Displayed width of the image.</param>
    /// <param name="height">Displayed height.</param>
    /// <param name="resize">The evaluation resize, used for the region when the random crop is off.</param>
    /// <param name="crop">The evaluation centre crop's fraction, with <paramref name="resize"/>.</param>
    public static AugmentationParameters Draw(AugmentationOptions options, long seed, int epoch, int sampleIndex, int width, int height,
        EvalResize resize = EvalResize.ResizeAndCenterCrop, double crop = Preprocessing.DefaultEvalCrop)
    {
        var fixedRegion = Evaluation(width, height, resize, crop);
        if (!options.IsEnabled)
        {
            return fixedRegion;
        }
        var random = new SeededRandom(SeededRandom.Mix(seed, epoch, sampleIndex, SeedPurpose.Augmentation));
        double x = fixedRegion.CropX, y = fixedRegion.CropY, w = fixedRegion.CropWidth, h = fixedRegion.CropHeight;
        if (options.HasRandomCrop)
        {
            (x, y, w, h) = RandomResizedCrop(random, options, width, height);
        }
        var rotation = options.RotationDegrees > 0 ? random.Uniform(-options.RotationDegrees, options.RotationDegrees) : 0;
        var flipH = options.HorizontalFlipProbability > 0 && random.NextDouble() < options.HorizontalFlipProbability;
        var flipV = options.VerticalFlipProbability > 0 && random.NextDouble() < options.VerticalFlipProbability;
        var brightness = options.Brightness > 0 ? random.Uniform(Math.Max(0, 1 - options.Brightness), 1 + options.Brightness) : 1;
        var contrast = options.Contrast > 0 ? random.Uniform(Math.Max(0, 1 - options.Contrast), 1 + options.Contrast) : 1;
        var saturation = options.Saturation > 0 ? random.Uniform(Math.Max(0, 1 - options.Saturation), 1 + options.Saturation) : 1;
        return new AugmentationParameters(x, y, w, h, rotation, flipH, flipV, brightness, contrast, saturation);
    }

    /// <summary>torchvision's RandomResizedCrop.get_params: 10 tries at a random area and log-uniform ratio, then a centre crop.</summary>
    private static (double X, double Y, double W, double H) RandomResizedCrop(SeededRandom random, AugmentationOptions options, int width, int height)
    {
        var area = (double)width * height;
        var logMin = Math.Log(options.CropRatioMin);
        var logMax = Math.Log(options.CropRatioMax);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * random.Uniform(options.CropScaleMin, options.CropScaleMax);
            var ratio = Math.Exp(random.Uniform(logMin, logMax));
            var w = Math.Sqrt(target * ratio);
            var h = Math.Sqrt(target / ratio);
            if (w >= 1 && h >= 1 && w <= width && h <= height)
            {
                return (random.Uniform(0, width - w), random.Uniform(0, height - h), w, h);
            }
        }
        var imageRatio = (double)width / height;
        double cw = width, ch = height;
        if (imageRatio < options.CropRatioMin)
        {
            ch = width / options.CropRatioMin;
        }
        else if (imageRatio > options.CropRatioMax)
        {
            cw = height * options.CropRatioMax;
        }
        return ((width - cw) / 2, (height - ch) / 2, cw, ch);
    }
}
