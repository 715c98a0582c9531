using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;

namespace Holdout.Tests.Runs;

/// <summary>--lr-mult: the learning rates the fine-tune recipe's all-layers phase gives the optimiser's parameter groups.</summary>
[Collection(NativeCollection.Name)]
public sealed class LearningRateMultiplierTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void Should_train_the_stem_at_the_head_rate_over_the_multiplier_and_the_stages_between_geometrically(double multiplier)
    {
        // Given a fine-tune run's options (head epochs over images, then all layers) at learning rate 0.02 with --lr-mult
        NativeRuntime.EnsureInitialized();
        var options = new TrainRunOptions(Model: Architecture.ResNet18, Weights: ModelOptions.NoWeights, Recipe: RecipeKind.FineTune,
            Epochs: 3, LearningRate: 0.02, LearningRateMultiplier: multiplier, Probe: false);
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights));
        var stem = model.Backbone.named_parameters().Single(p => p.name == "conv1.weight").parameter;

        // When the recipe prepares its all-layers phase (the groups and rates the trainer builds the optimiser from)
        var phase = Recipe.For(options).Phases.Single(p => !p.FrozenBackbone).Prepare(model);
        var rates = phase.Groups.Select(g => g.LearningRate).ToList();

        // Then the head trains at half the rate (0.01), the earliest group, which holds the stem, at 0.01 / multiplier,
        // and each group between at a constant factor above the one before it
        Assert.Equal(model.StageCount + 1, rates.Count);
        Assert.Equal(0.01, rates[^1], 12);
        Assert.Equal(0.01 / multiplier, rates[0], 12);
        Assert.Contains(phase.Groups[0].Parameters, p => ReferenceEquals(p, stem));
        Assert.DoesNotContain(phase.Groups[^1].Parameters, p => ReferenceEquals(p, stem));
        var step = Math.Pow(multiplier, 1.0 / (rates.Count - 1));
        for (var i = 1; i < rates.Count; i++) Assert.Equal(step, rates[i] / rates[i - 1], 9);
    }
}
