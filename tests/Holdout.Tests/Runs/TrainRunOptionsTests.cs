using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Runs;

namespace Holdout.Tests.Runs;

public sealed class TrainRunOptionsTests
{
    [Fact]
    public void Should_keep_pretrained_batchnorm_statistics_only_where_a_fine_tune_unfreezes_a_pretrained_backbone()
    {
        // Given the defaults of each recipe, and the explicit choices
        var fineTune = new TrainRunOptions();
        var fastai = new TrainRunOptions(Probe: false);
        var frozen = new TrainRunOptions(Recipe: RecipeKind.Frozen);
        var scratch = new TrainRunOptions(Model: Architecture.SimpleCnn);
        var trainBn = new TrainRunOptions(TrainBatchNorm: true);

        // Then fine-tune keeps the pretrained statistics; the others use batch statistics once unfrozen. Every recipe of a
        // ResNet starts at lr 1e-3, with or without the probe; the simple CNN from scratch at 2e-3
        Assert.Equal(BatchNormPolicy.AlwaysEval, fineTune.EffectiveBatchNorm);
        Assert.Equal(1e-3, fineTune.EffectiveLearningRate);
        Assert.Equal(1e-3, fastai.EffectiveLearningRate);
        Assert.Equal(BatchNormPolicy.FrozenStaysInEval, frozen.EffectiveBatchNorm);
        Assert.Equal(1e-3, frozen.EffectiveLearningRate);
        Assert.Equal(BatchNormPolicy.FrozenStaysInEval, scratch.EffectiveBatchNorm);
        Assert.Equal(2e-3, scratch.EffectiveLearningRate);
        Assert.Equal(BatchNormPolicy.TrainBatchNorm, trainBn.EffectiveBatchNorm);
    }

    [Fact]
    public void Should_default_to_six_epochs_for_fine_tune_and_five_for_the_other_recipes_and_keep_an_explicit_count()
    {
        // Given the defaults of each recipe, and explicit counts
        var fineTune = new TrainRunOptions();
        var frozen = new TrainRunOptions(Recipe: RecipeKind.Frozen);
        var scratch = new TrainRunOptions(Model: Architecture.SimpleCnn);
        var explicitFineTune = new TrainRunOptions(Epochs: 5);

        // Then fine-tune runs the probe and five all-layers epochs, the others five, and a given count wins
        Assert.Equal(6, fineTune.EffectiveEpochs);
        Assert.Equal([1, 5], Recipe.For(fineTune).Phases.Select(p => p.Epochs));
        Assert.Equal(5, frozen.EffectiveEpochs);
        Assert.Equal(5, scratch.EffectiveEpochs);
        Assert.Equal(5, explicitFineTune.EffectiveEpochs);
        Assert.Equal(5, Recipe.For(explicitFineTune).TotalEpochs);
        var zero = Assert.Throws<HoldoutException>(() => new TrainRunOptions(Epochs: 0).Validate());
        Assert.Contains("--epochs must be at least 1, got 0", zero.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_contradicting_or_meaningless_batchnorm_choices_naming_the_options()
    {
        // When --train-bn meets another policy, or a model from scratch is asked to keep statistics it never learnt
        var contradiction = Assert.Throws<HoldoutException>(() => new TrainRunOptions(TrainBatchNorm: true, BatchNorm: BatchNormPolicy.AlwaysEval).Validate());
        var scratch = Assert.Throws<HoldoutException>(() => new TrainRunOptions(Model: Architecture.SimpleCnn, BatchNorm: BatchNormPolicy.AlwaysEval).Validate());

        // Then each message names the options and what to do
        Assert.Contains("--train-bn and --batch-norm always-eval", contradiction.Message, StringComparison.Ordinal);
        Assert.Contains("--batch-norm always-eval", scratch.Message, StringComparison.Ordinal);
        Assert.Contains("leave --batch-norm out", scratch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_resume_a_run_written_before_the_option_with_the_batch_statistics_it_trained_with()
    {
        // Given a config.json written before --batch-norm existed, and one written with the default (null) since
        using var temp = new TempFolder();
        var old = temp.Write("old.json", System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["options"] = new JsonObject { ["epochs"] = 3 } }.ToJsonString()));
        var current = temp.Write("new.json", System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["options"] = new JsonObject { ["epochs"] = 3, ["batch_norm"] = null } }.ToJsonString()));

        // When they are read
        var before = RunConfig.Read(old).Options;
        var since = RunConfig.Read(current).Options;

        // Then the old run keeps batch statistics once unfrozen, the new one the default for its recipe
        Assert.Equal(BatchNormPolicy.FrozenStaysInEval, before.EffectiveBatchNorm);
        Assert.Equal(BatchNormPolicy.AlwaysEval, since.EffectiveBatchNorm);
    }

    [Fact]
    public void Should_suggest_the_fixres_evaluation_size_from_the_augmentations_crop_area()
    {
        // Given the presets (standard crops 25-100 % of the area, light 60-100 %, none does not crop) and sizes
        // When FixRes's evaluation size is asked for
        // Then it enlarges by 0.875 / E[sqrt(area)] rounded to 16 px: 224 -> 256 for standard, unchanged for light and none,
        // 128 -> 144; with a stretched (whole-image) evaluation the factor is 1 / E[sqrt(area)]
        Assert.Equal(256, new TrainRunOptions().FixResEvalSize());
        Assert.Equal(224, new TrainRunOptions(Augment: "light").FixResEvalSize());
        Assert.Equal(224, new TrainRunOptions(Augment: "none").FixResEvalSize());
        Assert.Equal(144, new TrainRunOptions(ImageSize: 128).FixResEvalSize());
        Assert.Equal(80, new TrainRunOptions(ImageSize: 64).FixResEvalSize());
        Assert.Equal(288, new TrainRunOptions().FixResEvalSize(Holdout.Imaging.EvalResize.Stretch));
    }

    [Fact]
    public void Should_refuse_an_evaluation_size_out_of_range_or_one_the_simple_cnn_cannot_take_naming_the_option()
    {
        var small = Assert.Throws<HoldoutException>(() => new TrainRunOptions(EvalImageSize: 16).Validate());
        Assert.Contains("--eval-size", small.Message, StringComparison.Ordinal);
        var cnn = Assert.Throws<HoldoutException>(() => new TrainRunOptions(Model: Architecture.SimpleCnn, EvalImageSize: 160).Validate());
        Assert.Contains("--eval-size 160", cnn.Message, StringComparison.Ordinal);
        new TrainRunOptions(Model: Architecture.SimpleCnn, EvalImageSize: 128).Validate();
        new TrainRunOptions(EvalImageSize: 320).Validate();
    }
}
