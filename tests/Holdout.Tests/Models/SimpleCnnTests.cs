using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class SimpleCnnTests
{
    [Fact]
    public void Should_have_the_keras_seed_parameter_count_for_200x200_input_and_2_classes()
    {
        // Given the seed CNN for 200x200x3 input and 2 classes
        NativeRuntime.EnsureInitialized();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["cat", "dog"], 200, ModelOptions.NoWeights));

        // When its parameters are counted
        var count = model.parameters().Sum(p => p.numel());

        // Then it equals Keras's: conv 3x3x3x32+32, conv 3x3x32x64+64, dense (98*98*64)x128+128, dense 128x2+2
        long expected = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (98L * 98 * 64 * 128 + 128) + (128 * 2 + 2);
        Assert.Equal(expected, count);
        Assert.Equal(98 * 98 * 64, model.Spec.FeatureDimension);
        Assert.Equal(0, model.StageCount);
    }

    [Fact]
    public void Should_map_images_to_logits_and_split_into_features_and_head()
    {
        // Given a small seed CNN in eval mode
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["a", "b", "c"], 32, ModelOptions.NoWeights));
        model.eval();
        var images = FormulaWeights.Input(2, 3, 32, 32);

        // When it classifies a batch directly and through Features + Classify
        var logits = model.forward(images);
        var viaFeatures = model.Classify(model.Features(images));

        // Then the logits are N x C and both paths agree; 'valid' convolutions leave 14x14x64 features
        Assert.Equal([2L, 3L], logits.shape);
        Assert.Equal([2L, 14L * 14 * 64], model.Features(images).shape);
        Assert.Equal(0f, (logits - viaFeatures).abs().max().item<float>());
    }

    [Fact]
    public void Should_initialise_new_layers_from_the_seed()
    {
        // Given three models: two with seed 7, one with seed 8
        NativeRuntime.EnsureInitialized();
        using var a = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights, Seed: 7));
        using var b = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights, Seed: 7));
        using var c = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights, Seed: 8));

        // When their weights are compared
        var sameSeed = a.parameters().Zip(b.parameters()).All(p => p.First.allclose(p.Second, rtol: 0, atol: 0));
        var otherSeed = a.parameters().Zip(c.parameters()).All(p => p.First.allclose(p.Second, rtol: 0, atol: 0));

        // Then the same seed gives the same weights and another seed different ones
        Assert.True(sameSeed);
        Assert.False(otherSeed);
    }

    [Fact]
    public void Should_refuse_bundled_weights_for_architectures_without_them()
    {
        NativeRuntime.EnsureInitialized();
        var error = Assert.Throws<HoldoutException>(() =>
            ModelFactory.Create(new ModelOptions(Architecture.ResNet50, ["a", "b"], 64, ModelOptions.BundledWeights)));
        Assert.Contains("no bundled weights for resnet50", error.Message);
        Assert.Contains("--weights none", error.Message);
        Assert.Throws<HoldoutException>(() =>
            ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["a", "b"], 64, ModelOptions.BundledWeights)));
        Assert.Throws<HoldoutException>(() =>
            ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a"], 64, ModelOptions.NoWeights)));
    }
}
