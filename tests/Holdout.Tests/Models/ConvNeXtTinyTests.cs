using Holdout.Models;
using Holdout.Models.Backbones;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Holdout.Tests.Models.TorchvisionFixture;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class ConvNeXtTinyTests(ITestOutputHelper output)
{
    private static readonly string[] Classes = ["a", "b"];

    [PythonModuleFact("torchvision")]
    public void Should_match_torchvision_convnext_tiny_features_and_logits_from_its_checkpoint()
    {
        // Given torchvision's convnext_tiny with random weights, perturbed LayerNorm affines and layer scales
        // (make_torchvision_fixture.py), its state dict as .safetensors and its features and logits for two images
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var fixture = TorchvisionFixture.Get("convnext_tiny");
        var reference = fixture.OpenReference();
        var checkpoint = SafeTensorsFile.Open(fixture.SafeTensors).ReadAll();
        using var model = ConvNeXtTestModels.Create(Classes);
        var backbone = model.Net!;

        // When the state dict loads into Holdout's backbone unchanged and the model computes features in eval mode
        StateDictLoader.Load(model.Backbone, checkpoint, $"'{fixture.SafeTensors}'", backbone.IsClassifierKey,
            "Expected torchvision's convnext_tiny names; the backbone's layout differs from torchvision's.");
        model.eval();
        var input = Read(reference, "input");
        Tensor features, logits;
        using (no_grad())
        {
            features = model.Features(input);
            // torchvision's classifier.2 (the Linear Holdout's head replaces) on Holdout's features
            logits = nn.functional.linear(features, checkpoint["classifier.2.weight"], checkpoint["classifier.2.bias"]);
        }

        // Then features and logits agree with torchvision's within 1e-4 of their largest magnitude
        var featureDifference = RelativeDifference(Read(reference, "features"), features);
        var logitDifference = RelativeDifference(Read(reference, "logits"), logits);
        output.WriteLine($"convnext_tiny at 64 px: max relative difference features {featureDifference:E2}, logits {logitDifference:E2}");
        Assert.Equal([2L, 768L], features.shape);
        Assert.True(featureDifference <= 1e-4, $"features differ by {featureDifference} of their largest magnitude");
        Assert.True(logitDifference <= 1e-4, $"logits differ by {logitDifference} of their largest magnitude");
    }

    [PythonModuleFact("torchvision")]
    public void Should_name_parameters_exactly_as_torchvision_convnext_tiny_does_but_the_last_linear_layer()
    {
        // Given Holdout's ConvNeXt-Tiny backbone and the state dict keys torchvision lists for convnext_tiny
        NativeRuntime.EnsureInitialized();
        using var model = ConvNeXtTestModels.Create(Classes);
        var torchvision = TorchvisionFixture.Get("convnext_tiny").OpenReference().Metadata["state_dict_keys"].Split(',');

        // When the backbone's state dict names are listed
        var names = model.Backbone.state_dict().Keys.ToHashSet(StringComparer.Ordinal);

        // Then they are torchvision's without classifier.2 (the head replaces it), classifier.0 (the pooled norm) included
        var expected = torchvision.Where(k => !k.StartsWith("classifier.2.", StringComparison.Ordinal));
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Contains("classifier.2.weight", torchvision);
        Assert.Contains("features.0.1.weight", names);
        Assert.Contains("features.1.0.layer_scale", names);
        Assert.Contains("features.1.0.block.5.bias", names);
        Assert.Contains("features.2.0.bias", names);
        Assert.Contains("features.6.1.weight", names);
        Assert.Contains("features.7.2.block.3.weight", names);
        Assert.Contains("classifier.0.weight", names);
        Assert.True(model.Net!.IsClassifierKey("classifier.2.bias"));
        Assert.False(model.Net.IsClassifierKey("classifier.0.weight"));
    }

    [Fact]
    public void Should_initialise_as_torchvision_and_scale_stochastic_depth_over_the_blocks()
    {
        // Given a new ConvNeXt-Tiny backbone
        NativeRuntime.EnsureInitialized();
        using var model = ConvNeXtTestModels.Create(Classes);
        var state = model.Backbone.state_dict();

        // When its blocks and initial tensors are read
        var blocks = model.Backbone.modules().OfType<ConvNeXtBlock>().ToList();

        // Then the 18 blocks drop their branch with 0.1·k/17, layer scales are 1e-6, norms 1 and 0,
        // linear and convolution weights have std 0.02 within ±2, and biases are zero
        Assert.Equal(18, blocks.Count);
        for (int k = 0; k < blocks.Count; k++) Assert.Equal(0.1 * k / 17, blocks[k].StochasticDepthProbability, 12);
        Assert.Equal(1e-6f, state["features.5.4.layer_scale"].max().item<float>(), 12);
        Assert.Equal(1e-6f, state["features.5.4.layer_scale"].min().item<float>(), 12);
        Assert.Equal([384L, 1L, 1L], state["features.5.4.layer_scale"].shape);
        Assert.Equal(1f, state["classifier.0.weight"].min().item<float>());
        Assert.Equal(0f, state["features.4.0.bias"].abs().max().item<float>());
        var weight = state["features.5.4.block.3.weight"];
        Assert.Equal([1536L, 384L], weight.shape);
        Assert.InRange(weight.std().item<float>(), 0.0195f, 0.0205f);
        Assert.InRange(weight.mean().item<float>(), -2e-4f, 2e-4f);
        Assert.InRange(state["features.0.0.weight"].std().item<float>(), 0.018f, 0.022f);
        Assert.Equal(0f, state["features.5.4.block.3.bias"].abs().max().item<float>());
        Assert.Equal([96L, 1L, 7L, 7L], state["features.1.0.block.0.weight"].shape);
        Assert.Equal([192L, 96L, 2L, 2L], state["features.2.1.weight"].shape);
        Assert.Equal(8, model.StageCount);
        Assert.Equal(768, model.Net!.FeatureDimension);
    }

    [Fact]
    public void Should_train_forward_and_backward_on_a_batch_of_two()
    {
        // Given a ConvNeXt-Tiny classifier in training mode and two 64 px images
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ConvNeXtTestModels.Perturbed(ConvNeXtTestModels.Create(Classes));
        ConvNeXtTestModels.WithRandomOutput(model); // a new head's zero output weights would stop every gradient to the backbone
        model.train();
        var batch = FormulaWeights.Input(2, 3, 64, 64);

        // When it computes the loss of one step and its gradients
        var logits = model.forward(batch);
        var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1 }));
        loss.backward();

        // Then the loss is finite and every parameter, from the stem to the pooled norm and the head, has a gradient
        Assert.Equal([2L, 2L], logits.shape);
        Assert.True(float.IsFinite(loss.item<float>()));
        var missing = model.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0).Select(p => p.name).ToList();
        Assert.True(missing.Count == 0, "no gradient: " + string.Join(", ", missing.Take(10)));
    }

    [NativeBf16Fact]
    public void Should_compute_in_bfloat16_close_to_float32_with_float32_weights_and_gradients()
    {
        // Given a ConvNeXt-Tiny classifier (perturbed norms and layer scales) and two images
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ConvNeXtTestModels.WithRandomOutput(ConvNeXtTestModels.Perturbed(ConvNeXtTestModels.Create(Classes)));
        var batch = FormulaWeights.Input(2, 3, 64, 64);
        model.eval();
        Tensor fp32Features, bf16Features;
        using (no_grad()) fp32Features = model.Features(batch);

        // When it computes in bfloat16 in eval mode, then takes a training step in bfloat16
        model.Precision = Precision.Bf16;
        using (no_grad()) bf16Features = model.Features(batch);
        model.train();
        var loss = nn.functional.cross_entropy(model.forward(batch), tensor(new long[] { 0, 1 }));
        loss.backward();

        // Then the features are float32 and within 5 % of the float32 ones' largest magnitude, and weights and gradients stay float32
        var difference = RelativeDifference(fp32Features, bf16Features);
        output.WriteLine($"bf16 vs fp32 features: max difference {difference:E2} of the largest magnitude");
        Assert.Equal(ScalarType.Float32, bf16Features.dtype);
        Assert.True(difference <= 5e-2, $"bf16 features differ by {difference} of the largest magnitude");
        Assert.True(difference > 0, "the bf16 pass computed in float32");
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));
        Assert.True(float.IsFinite(loss.item<float>()));
    }

    [Fact]
    public void Should_freeze_every_backbone_parameter_and_the_pooled_norm_with_the_last_stage()
    {
        // Given a ConvNeXt-Tiny classifier
        NativeRuntime.EnsureInitialized();
        using var model = ConvNeXtTestModels.Create(Classes);
        var backboneNames = model.Backbone.named_parameters().Select(p => "backbone." + p.name).ToHashSet(StringComparer.Ordinal);

        // When all but the last stage are frozen, then the whole backbone
        model.FreezeBackbone(7);
        var trainableAfterSeven = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        var groupsAfterSeven = model.ParameterGroups().Count;
        model.FreezeBackbone();

        // Then freezing seven stages leaves features.7 and the classifier.0 norm training with the head,
        // and freezing all leaves only the head: weights, LayerNorm affines and layer scales stop alike
        Assert.All(trainableAfterSeven, name => Assert.True(
            name.StartsWith("backbone.features.7.", StringComparison.Ordinal) || name.StartsWith("backbone.classifier.0.", StringComparison.Ordinal) ||
            name.StartsWith("head.", StringComparison.Ordinal), name));
        Assert.Contains("backbone.classifier.0.weight", trainableAfterSeven);
        Assert.Contains("backbone.features.7.2.layer_scale", trainableAfterSeven);
        Assert.Equal(2, groupsAfterSeven); // features.7 with classifier.0, and the head
        Assert.Equal(8, model.FrozenStages);
        Assert.All(model.Backbone.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(model.named_parameters().Where(p => !backboneNames.Contains(p.name)), p => Assert.True(p.parameter.requires_grad, p.name));
        Assert.Single(model.ParameterGroups());
        // every backbone parameter belongs to exactly one stage
        var staged = model.Net!.Stages.SelectMany(stage => stage).SelectMany(m => m.parameters()).ToList();
        Assert.Equal(model.Backbone.parameters().Count(), staged.Count);
    }

    [Fact]
    public void Should_keep_its_parameters_when_built_inside_a_dispose_scope_that_ends()
    {
        // Given a ConvNeXt-Tiny classifier built inside a dispose scope that then ends (ModelFactory reads weights in one)
        NativeRuntime.EnsureInitialized();
        ImageClassifier model;
        using (NewDisposeScope()) model = ConvNeXtTestModels.Create(Classes);
        using (model)
        using (var scope = NewDisposeScope())
        {
            // When it classifies two images
            model.eval();
            using var noGrad = no_grad();
            var logits = model.forward(FormulaWeights.Input(2, 3, 64, 64));

            // Then every parameter (the LayerNorm2d affines and layer scales made in C# included) is still there
            Assert.Equal([2L, 2L], logits.shape);
            Assert.All(model.named_parameters(), p => Assert.True(p.parameter.numel() > 0 && !p.parameter.IsInvalid, p.name));
        }
    }

}
