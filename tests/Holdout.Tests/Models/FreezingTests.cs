using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class FreezingTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    private static Tensor Batch() => FormulaWeights.Input(4, 3, 64, 64) * 60;

    private static Tensor RunningMean(ImageClassifier model, string name = "backbone.bn1.running_mean") =>
        model.state_dict()[name].clone();

    [Fact]
    public void Should_give_identical_outputs_in_train_and_eval_mode_when_the_pretrained_backbone_is_frozen()
    {
        // Given the pretrained ResNet-18 with its whole backbone frozen (default policy: frozen BatchNorm stays in eval)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet18.Create(Classes, size: 64);
        model.FreezeBackbone();
        var batch = Batch();
        var statsBefore = RunningMean(model, "backbone.layer4.2.bn2.running_mean");

        // When the same batch goes through it in train mode and then in eval mode
        model.train();
        var trainLogits = model.forward(batch);
        var trainFeatures = model.Features(batch);
        model.eval();
        var evalLogits = model.forward(batch);

        // Then the outputs are identical and the moving statistics did not move
        Assert.Equal(BatchNormPolicy.FrozenStaysInEval, model.FrozenBatchNorm);
        Assert.Equal(0f, (trainLogits - evalLogits).abs().max().item<float>());
        Assert.Equal(0f, (trainFeatures - model.Features(batch)).abs().max().item<float>());
        Assert.True(statsBefore.allclose(RunningMean(model, "backbone.layer4.2.bn2.running_mean"), rtol: 0, atol: 0));
        Assert.All(model.Backbone.parameters(), p => Assert.False(p.requires_grad));
        Assert.Single(model.ParameterGroups()); // the head only
    }

    [Fact]
    public void Should_update_batchnorm_statistics_in_train_mode_when_unfrozen()
    {
        // Given the pretrained ResNet-18, frozen and then unfrozen
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet18.Create(Classes, size: 64);
        model.FreezeBackbone();
        model.Unfreeze();
        var before = RunningMean(model);

        // When a batch goes through it in train mode
        model.train();
        model.forward(Batch());

        // Then the running statistics moved, every parameter trains, and there is one group per stage plus the head
        Assert.False(before.allclose(RunningMean(model), rtol: 0, atol: 0));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(model.StageCount + 1, model.ParameterGroups().Count);
        Assert.Equal(5, model.StageCount);
    }

    [Fact]
    public void Should_keep_the_pretrained_statistics_of_an_unfrozen_backbone_under_the_always_eval_policy()
    {
        // Given the pretrained ResNet-18 under the always-eval policy, frozen and then unfrozen (the fine-tune recipe's phases)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet18.Create(Classes, size: 64);
        model.FrozenBatchNorm = BatchNormPolicy.AlwaysEval;
        model.FreezeBackbone();
        model.eval();
        using var batch = Batch();
        var probed = model.Features(batch).detach();
        model.Unfreeze();
        var before = RunningMean(model);

        // When a batch goes through it in train mode
        model.train();
        var trained = model.Features(batch);

        // Then no statistic moved, the features are those the probe saw, every parameter (BatchNorm scales included) trains,
        // and every backbone BatchNorm layer is in evaluation mode while the rest of the model trains
        Assert.True(before.allclose(RunningMean(model), rtol: 0, atol: 0));
        Assert.Equal(0f, (trained - probed).abs().max().item<float>());
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.All(model.Backbone.modules().OfType<BatchNorm2d>(), m => Assert.False(m.training));
        Assert.True(model.training);
    }

    [Fact]
    public void Should_keep_training_batchnorm_of_a_frozen_backbone_under_the_train_bn_policy()
    {
        // Given the frozen pretrained backbone with fastai's train_bn policy
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet18.Create(Classes, size: 64);
        model.FreezeBackbone();
        model.FrozenBatchNorm = BatchNormPolicy.TrainBatchNorm;
        var before = RunningMean(model);

        // When a batch goes through it in train mode
        model.train();
        model.forward(Batch());

        // Then BatchNorm statistics moved, BatchNorm affine parameters train, convolutions do not
        Assert.False(before.allclose(RunningMean(model), rtol: 0, atol: 0));
        foreach (var (name, parameter) in model.Backbone.named_parameters())
            Assert.Equal(name.Contains("bn") || name.Contains("downsample.1"), parameter.requires_grad);
    }

    [Fact]
    public void Should_freeze_a_prefix_of_stages_and_keep_only_their_batchnorm_in_eval()
    {
        // Given the pretrained backbone with the stem and layer1 frozen
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet18.Create(Classes, size: 64);
        model.FreezeBackbone(2);
        var stem = RunningMean(model);
        var layer1 = RunningMean(model, "backbone.layer1.1.bn2.running_mean");
        var layer2 = RunningMean(model, "backbone.layer2.0.bn1.running_mean");

        // When a batch goes through it in train mode
        model.train();
        model.forward(Batch());

        // Then the frozen stages kept their statistics and stopped training; later stages train and update
        Assert.True(stem.allclose(RunningMean(model), rtol: 0, atol: 0));
        Assert.True(layer1.allclose(RunningMean(model, "backbone.layer1.1.bn2.running_mean"), rtol: 0, atol: 0));
        Assert.False(layer2.allclose(RunningMean(model, "backbone.layer2.0.bn1.running_mean"), rtol: 0, atol: 0));
        foreach (var (name, parameter) in model.Backbone.named_parameters())
            Assert.Equal(!(name.StartsWith("conv1") || name.StartsWith("bn1") || name.StartsWith("layer1")), parameter.requires_grad);
        Assert.Equal(4, model.ParameterGroups().Count); // layer2, layer3, layer4, head
        var frozenNorms = model.Backbone.named_modules().Where(m => m.name.StartsWith("layer1") && m.module is BatchNorm2d).ToList();
        Assert.All(frozenNorms, m => Assert.False(m.module.training));
    }

    [Fact]
    public void Should_put_every_layer_in_eval_mode_for_evaluation_whatever_the_policy()
    {
        // Given an unfrozen-then-partly-frozen model under train_bn
        NativeRuntime.EnsureInitialized();
        using var model = PretrainedResNet18.Create(Classes, size: 64, head: new HeadOptions(Dropout: 0.5, BatchNorm: true));
        model.FreezeBackbone(3);
        model.FrozenBatchNorm = BatchNormPolicy.TrainBatchNorm;
        model.train();

        // When it is switched to evaluation
        model.eval();

        // Then no module is in training mode
        Assert.All(model.modules(), m => Assert.False(m.training));
    }

    [Fact]
    public void Should_refuse_to_freeze_the_simple_cnn_or_more_stages_than_exist()
    {
        NativeRuntime.EnsureInitialized();
        using var cnn = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["a", "b"], 16, ModelOptions.NoWeights));
        Assert.Contains("simple CNN", Assert.Throws<HoldoutException>(() => cnn.FreezeBackbone()).Message);
        using var resnet = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights));
        Assert.Contains("from 0 to 5", Assert.Throws<HoldoutException>(() => resnet.FreezeBackbone(6)).Message);
    }
}
