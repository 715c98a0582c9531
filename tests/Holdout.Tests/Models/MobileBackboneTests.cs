using Holdout.Models;
using Holdout.Models.Backbones;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Holdout.Tests.Models.TorchvisionFixture;

namespace Holdout.Tests.Models;

/// <summary>EfficientNet-B0 and MobileNetV3-Large in torchvision's layout: parity with torchvision, training, bfloat16, freezing.</summary>
[Collection(NativeCollection.Name)]
public sealed class MobileBackboneTests(ITestOutputHelper output)
{
    private static readonly string[] Classes = ["a", "b"];

    [PythonModuleFact("torchvision")]
    public void Should_load_a_torchvision_efficientnet_b0_checkpoint_unchanged_and_give_its_features_and_logits() =>
        AssertTorchvisionParity(Architecture.EfficientNetB0, "efficientnet_b0");

    [PythonModuleFact("torchvision")]
    public void Should_load_a_torchvision_mobilenet_v3_large_checkpoint_unchanged_and_give_its_features_and_logits() =>
        AssertTorchvisionParity(Architecture.MobileNetV3Large, "mobilenet_v3_large");

    private void AssertTorchvisionParity(Architecture architecture, string arch)
    {
        // Given torchvision's random-weight model (BatchNorm statistics perturbed) as .safetensors, its features and logits
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var fixture = TorchvisionFixture.Get(arch);
        var reference = fixture.OpenReference();
        var checkpoint = SafeTensorsFile.Open(fixture.SafeTensors).ReadAll();
        using var model = MobileBackbones.Create(architecture, Classes);
        var net = model.Net!;

        // When the checkpoint is loaded into Holdout's backbone (its classifier ignored) and the reference images go through it in eval mode
        StateDictLoader.Load(model.Backbone, checkpoint, $"'{fixture.SafeTensors}'", net.IsClassifierKey, $"Expected torchvision's {arch}.");
        model.eval();
        var input = Read(reference, "input");
        Tensor features;
        using (no_grad()) features = model.Features(input);
        var logits = TorchvisionClassifier(architecture, checkpoint, features);

        // Then the backbone has exactly torchvision's names (classifier.* excepted), and the pooled features and the
        // logits of torchvision's classifier on them agree with torchvision's within 1e-4 of their largest magnitude
        var torchvisionKeys = reference.Metadata["state_dict_keys"].Split(',');
        Assert.Equal(torchvisionKeys.Where(k => !net.IsClassifierKey(k)).Order(StringComparer.Ordinal),
            model.Backbone.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Contains(torchvisionKeys, net.IsClassifierKey);
        Assert.Equal(net.FeatureDimension, features.shape[1]);
        AssertRelativelyClose(arch + " features", Read(reference, "features"), features);
        AssertRelativelyClose(arch + " logits", Read(reference, "logits"), logits);
    }

    /// <summary>torchvision's classifier in eval mode, from the checkpoint's tensors (dropout is the identity).</summary>
    private static Tensor TorchvisionClassifier(Architecture architecture, IReadOnlyDictionary<string, Tensor> state, Tensor features) =>
        architecture == Architecture.EfficientNetB0
            ? nn.functional.linear(features, state["classifier.1.weight"], state["classifier.1.bias"]) // Dropout, Linear(1280, 1000)
            : nn.functional.linear( // Linear(960, 1280), Hardswish, Dropout, Linear(1280, 1000)
                nn.functional.linear(features, state["classifier.0.weight"], state["classifier.0.bias"]).hardswish(),
                state["classifier.3.weight"], state["classifier.3.bias"]);

    [Theory]
    [InlineData(Architecture.EfficientNetB0, 9, "features.8.1.running_mean")]
    [InlineData(Architecture.MobileNetV3Large, 17, "features.16.1.running_mean")]
    public void Should_train_with_stochastic_depth_only_in_efficientnet_and_evaluate_deterministically(Architecture architecture, int stages, string lastNorm)
    {
        // Given a model with formula weights, head included (a fresh head's zero output weights would pass no gradient back), and a 2-image batch
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = MobileBackbones.Create(architecture, Classes);
        FormulaWeights.Fill(model);
        var batch = FormulaInput();
        var labels = tensor(new long[] { 0, 1 });
        var before = model.Backbone.state_dict()[lastNorm].clone();

        // When it takes a training-mode forward and backward pass, then two more training-mode and two eval-mode passes
        model.train();
        var loss = nn.functional.cross_entropy(model.forward(batch), labels);
        loss.backward();
        Tensor trainA, trainB, evalA, evalB;
        using (no_grad())
        {
            trainA = model.Features(batch);
            trainB = model.Features(batch);
            model.eval();
            evalA = model.Features(batch);
            evalB = model.Features(batch);
        }

        // Then every backbone parameter has a finite gradient, the first convolution's is not zero, the BatchNorm statistics
        // moved; EfficientNet's stochastic depth makes training passes differ (MobileNetV3 has none), eval passes never do
        Assert.Equal(stages, model.StageCount);
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.All(model.Backbone.named_parameters(), p => Assert.True(p.parameter.grad is { } g && g.isfinite().all().item<bool>(), $"{p.name} has no finite gradient"));
        Assert.True(model.Backbone.named_parameters().Single(p => p.name == "features.0.0.weight").parameter.grad!.abs().sum().item<float>() > 0);
        Assert.False(before.allclose(model.Backbone.state_dict()[lastNorm], rtol: 0, atol: 0));
        var trainDifference = (trainA - trainB).abs().max().item<float>();
        output.WriteLine($"{architecture}: max difference between two training passes {trainDifference:E2}");
        if (architecture == Architecture.EfficientNetB0) Assert.True(trainDifference > 0, "stochastic depth dropped nothing");
        else Assert.Equal(0f, trainDifference);
        Assert.Equal(0f, (evalA - evalB).abs().max().item<float>());
    }

    [Fact]
    public void Should_drop_residual_branches_with_torchvisions_stochastic_depth_probabilities()
    {
        // Given EfficientNet-B0's backbone
        NativeRuntime.EnsureInitialized();
        using var net = new EfficientNetB0Backbone();

        // When its stochastic depth layers are listed in order
        var probabilities = net.modules().OfType<StochasticDepth>().Select(s => s.Probability).ToArray();

        // Then there is one per MBConv block, 0.2 · i / 16 for block i, as torchvision sets them
        Assert.Equal(16, probabilities.Length);
        for (int i = 0; i < 16; i++) Assert.Equal(0.2 * i / 16, probabilities[i], 12);
    }

    [Theory]
    [InlineData(Architecture.EfficientNetB0, 49, 1e-5, 0.1)] // efficientnet_b0 keeps nn.BatchNorm2d's defaults (only B5-B7 and V2 change them)
    [InlineData(Architecture.MobileNetV3Large, 46, 1e-3, 0.01)] // MobileNetV3: partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
    public void Should_build_batchnorm_with_torchvisions_eps_and_momentum(Architecture architecture, int count, double eps, double momentum)
    {
        // Given the backbone; When its BatchNorm layers are listed
        NativeRuntime.EnsureInitialized();
        using var net = BackboneCatalog.Create(architecture);
        var norms = net.modules().OfType<BatchNorm2d>().ToList();

        // Then there are as many as torchvision has, each with torchvision's eps and momentum (the parity test sees eps, not momentum)
        Assert.Equal(count, norms.Count);
        Assert.All(norms, norm => Assert.Equal(eps, norm.eps, 12));
        Assert.All(norms, norm => Assert.Equal(momentum, norm.momentum!.Value, 12));
    }

    [Theory]
    [InlineData(Architecture.EfficientNetB0)]
    [InlineData(Architecture.MobileNetV3Large)]
    public void Should_compute_in_bfloat16_close_to_float32_and_train_float32_master_weights(Architecture architecture)
    {
        // Given a model with formula weights and its float32 eval-mode features
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = MobileBackbones.Create(architecture, Classes);
        FormulaWeights.Fill(model.Backbone);
        var batch = FormulaInput();
        model.eval();
        Tensor fp32, bf16;
        using (no_grad()) fp32 = model.Features(batch);

        // When it runs in bfloat16 in eval mode, then takes a training-mode forward and backward pass
        model.Precision = Precision.Bf16;
        using (no_grad()) bf16 = model.Features(batch);
        model.train();
        nn.functional.cross_entropy(model.forward(batch), tensor(new long[] { 0, 1 })).backward();

        // Then the bfloat16 features are float32 and within 5 % of the largest float32 feature, and every weight,
        // gradient and statistic stayed float32
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        var relative = (bf16 - fp32).abs().max().item<float>() / fp32.abs().max().item<float>();
        output.WriteLine($"{architecture}: bf16 vs fp32 features, max difference / max |fp32| = {relative:E2}");
        Assert.True(relative < 5e-2, $"relative difference {relative}");
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(model.Backbone.parameters(), p => Assert.True(p.grad is { } g && g.dtype == ScalarType.Float32 && g.isfinite().all().item<bool>()));
        Assert.All(model.named_buffers(), b => Assert.True(b.buffer.dtype is ScalarType.Float32 or ScalarType.Int64, $"{b.name} is {b.buffer.dtype}"));
    }

    [Theory]
    [InlineData(Architecture.EfficientNetB0)]
    [InlineData(Architecture.MobileNetV3Large)]
    public void Should_freeze_every_stage_leaving_only_the_head_trainable_and_frozen_batchnorm_in_eval(Architecture architecture)
    {
        // Given a model whose whole backbone is frozen (default policy: frozen BatchNorm stays in eval)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = MobileBackbones.Create(architecture, Classes);
        FormulaWeights.Fill(model.Backbone);
        model.FreezeBackbone();
        var statistics = model.Backbone.state_dict().Where(kv => kv.Key.EndsWith(".running_mean", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        // When it is put in training mode and a batch goes through it
        model.train();
        model.forward(FormulaInput());

        // Then no backbone parameter trains, the head's do (one parameter group), every backbone BatchNorm is in eval
        // mode while the model trains, and no running statistic moved
        Assert.All(model.Backbone.parameters(), p => Assert.False(p.requires_grad));
        Assert.Single(model.ParameterGroups());
        Assert.True(model.ParameterGroups()[0].Count > 0);
        Assert.True(model.training);
        var norms = model.Backbone.modules().OfType<BatchNorm2d>().ToList();
        Assert.Equal(architecture == Architecture.EfficientNetB0 ? 49 : 46, norms.Count);
        Assert.All(norms, norm => Assert.False(norm.training));
        var state = model.Backbone.state_dict();
        Assert.All(statistics, kv => Assert.True(kv.Value.allclose(state[kv.Key], rtol: 0, atol: 0), $"{kv.Key} moved"));
    }

    private static Tensor FormulaInput() => FormulaWeights.Input(2, 3, 64, 64);


    private void AssertRelativelyClose(string what, Tensor expected, Tensor actual)
    {
        var relative = RelativeDifference(expected, actual);
        output.WriteLine($"{what}: max |difference| / max |torchvision| = {relative:E2} (max |torchvision| {expected.abs().max().item<float>():G4})");
        Assert.True(relative <= 1e-4, $"{what}: relative difference {relative}");
    }
}
