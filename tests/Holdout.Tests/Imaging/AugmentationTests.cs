using Holdout.Imaging;

namespace Holdout.Tests.Imaging;

public sealed class AugmentationTests
{
    [Fact]
    public void Should_draw_the_same_changes_for_the_same_seed_epoch_and_sample_only()
    {
        // Given the standard preset
        var options = AugmentationOptions.Standard;

        // When changes are drawn for (seed, epoch, sample) combinations
        var a = Augmentation.Draw(options, 1, 2, 3, 500, 400);
        var again = Augmentation.Draw(options, 1, 2, 3, 500, 400);
        var otherEpoch = Augmentation.Draw(options, 1, 3, 3, 500, 400);
        var otherSample = Augmentation.Draw(options, 1, 2, 4, 500, 400);
        var otherSeed = Augmentation.Draw(options, 2, 2, 3, 500, 400);

        // Then only the same triple gives the same draw
        Assert.Equal(a, again);
        Assert.NotEqual(a, otherEpoch);
        Assert.NotEqual(a, otherSample);
        Assert.NotEqual(a, otherSeed);
    }

    [Fact]
    public void Should_keep_random_crops_inside_the_image_and_within_the_scale_and_ratio_ranges()
    {
        // Given crops drawn for 2000 samples of a 300x200 image
        var options = new AugmentationOptions(CropScaleMin: 0.08, CropScaleMax: 1.0);
        for (var i = 0; i < 2000; i++)
        {
            var p = Augmentation.Draw(options, 0, 0, i, 300, 200);

            // Then each crop lies inside the image; crops from the main draw respect the area and ratio ranges
            Assert.InRange(p.CropX, 0, 300 - p.CropWidth + 1e-9);
            Assert.InRange(p.CropY, 0, 200 - p.CropHeight + 1e-9);
            var area = p.CropWidth * p.CropHeight / (300.0 * 200.0);
            Assert.InRange(area, 0.08 - 1e-9, 1.0 + 1e-9);
            Assert.InRange(p.CropWidth / p.CropHeight, 3.0 / 4.0 - 1e-9, 4.0 / 3.0 + 1e-9);
        }
    }

    [Fact]
    public void Should_flip_about_half_the_samples_with_probability_one_half()
    {
        var flips = Enumerable.Range(0, 2000).Count(i => Augmentation.Draw(AugmentationOptions.Light, 0, 0, i, 100, 100).FlipHorizontal);
        Assert.InRange(flips, 900, 1100);
    }

    [Fact]
    public void Should_use_the_centre_crop_of_0_875_of_the_shorter_side_for_evaluation()
    {
        var p = Augmentation.Evaluation(400, 256, EvalResize.ResizeAndCenterCrop);
        Assert.Equal(224, p.CropWidth, 9);
        Assert.Equal(224, p.CropHeight, 9);
        Assert.Equal(88, p.CropX, 9);
        Assert.Equal(16, p.CropY, 9);
        Assert.Equal(new AugmentationParameters(0, 0, 400, 256, 0, false, false, 1, 1, 1), Augmentation.Evaluation(400, 256, EvalResize.Stretch));
    }

    [Fact]
    public void Should_name_the_presets_and_refuse_an_unknown_one()
    {
        Assert.Same(AugmentationOptions.None, AugmentationOptions.Preset("none"));
        Assert.Same(AugmentationOptions.Standard, AugmentationOptions.Preset("Standard"));
        Assert.False(AugmentationOptions.None.IsEnabled);
        var error = Assert.Throws<HoldoutException>(() => AugmentationOptions.Preset("heavy"));
        Assert.Contains("none, light, standard", error.Message, StringComparison.Ordinal);
    }
}
