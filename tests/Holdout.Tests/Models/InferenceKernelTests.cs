using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>
/// The faster kernels must compute what the plain ones compute: bfloat16 channels-last against the default layout
/// (forward and backward, judged against float32), and the BatchNorm-folded evaluation snapshot against the model's
/// own evaluation-mode pass. These also guard libtorch upgrades: its float32 channels-last 1x1 convolutions are wrong
/// and its bfloat16 ones with 1024 outputs crash (see <c>ImageClassifier.ChannelsLast</c>).
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class InferenceKernelTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    private static double Relative(Tensor reference, Tensor value)
    {
        var r = reference.to(ScalarType.Float32);
        return (r - value.to(ScalarType.Float32)).abs().max().item<float>() / Math.Max(r.abs().max().item<float>(), 1e-6f);
    }

    [Fact]
    public void Should_run_channels_last_only_in_bfloat16_and_only_for_basic_block_resnets()
    {
        NativeRuntime.EnsureInitialized();
        using var resnet18 = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, Classes, 32, ModelOptions.NoWeights));
        using var resnet50 = ModelFactory.Create(new ModelOptions(Architecture.ResNet50, Classes, 32, ModelOptions.NoWeights));
        Assert.False(resnet18.UsesChannelsLast);
        resnet18.Precision = Precision.Bf16;
        Assert.True(resnet18.UsesChannelsLast);
        resnet50.Precision = Precision.Bf16;
        Assert.False(resnet50.UsesChannelsLast);

        // ResNet-50 in bfloat16 on a 32 px batch (feature maps down to 1x1): channels-last here would kill the process
        using var scope = NewDisposeScope();
        resnet50.eval();
        using var noGrad = no_grad();
        Assert.Equal([2, 2048], resnet50.Features(FormulaWeights.Input(2, 3, 32, 32)).shape);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(96)]
    public void Should_compute_resnet18_channels_last_bfloat16_as_accurately_as_the_default_layout_forward_and_backward(int size)
    {
        // Given a ResNet-18 (random weights, training mode: batch statistics) and a batch
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, Classes, size, ModelOptions.NoWeights));
        model.train();
        manual_seed(3);
        var images = randn(4, 3, size, size);
        var direction = randn(4, 512);
        var backbone = model.Backbone.parameters().ToList();
        (Tensor Features, Tensor[] Gradients) Run(Func<Tensor> features)
        {
            foreach (var p in backbone) p.grad = null;
            var f = features();
            (f * direction).sum().backward();
            return (f.detach().clone(), backbone.Select(p => p.grad!.clone()).ToArray());
        }

        // When the features and the backbone's gradients are computed in float32, in bfloat16 in the default layout
        // (the backbone called directly) and in bfloat16 channels-last (Features, as training runs it)
        var reference = Run(() => model.Features(images));
        model.Precision = Precision.Bf16;
        Assert.True(model.UsesChannelsLast);
        var plain = Run(() => model.Backbone.forward(images.to(ScalarType.BFloat16)).to(ScalarType.Float32).mean([2L, 3L]));
        var channelsLast = Run(() => model.Features(images));

        // Then channels-last is as close to float32 as the default layout (within twice its error plus bf16 rounding)
        var (plainError, lastError) = (Relative(reference.Features, plain.Features), Relative(reference.Features, channelsLast.Features));
        Assert.True(lastError <= 2 * plainError + 1e-2, $"features: channels-last error {lastError:E2}, default layout {plainError:E2}");
        for (int i = 0; i < backbone.Count; i++)
        {
            var (pe, le) = (Relative(reference.Gradients[i], plain.Gradients[i]), Relative(reference.Gradients[i], channelsLast.Gradients[i]));
            Assert.True(le <= 2 * pe + 2e-2, $"gradient {i}: channels-last error {le:E2}, default layout {pe:E2}");
        }
    }

    [Theory]
    [InlineData(Architecture.ResNet18, "bundled", Precision.Fp32)]
    [InlineData(Architecture.ResNet18, "bundled", Precision.Bf16)]
    [InlineData(Architecture.ResNet50, "none", Precision.Fp32)]
    [InlineData(Architecture.ResNet50, "none", Precision.Bf16)]
    public void Should_give_the_evaluation_features_with_batch_norm_folded(Architecture architecture, string weights, Precision precision)
    {
        // Given a model whose BatchNorm layers hold non-trivial weights, biases and moving statistics, in evaluation mode
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(new ModelOptions(architecture, Classes, 64, weights));
        model.Precision = precision;
        manual_seed(5);
        var images = (architecture == Architecture.ResNet18 ? 60 : 1) * randn(6, 3, 64, 64);
        using (no_grad())
        {
            // every term of the fold matters: scales and shifts away from 1 and 0, and moved statistics
            foreach (var norm in model.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
            {
                norm.weight!.uniform_(0.5, 1.5);
                norm.bias!.normal_(0, 0.2);
            }
            model.train();
            foreach (var _ in Enumerable.Range(0, 3)) model.forward(images * 0.5 + 0.1); // moves the running statistics
        }
        model.eval();
        using var noGrad = no_grad();
        var plain = model.Features(images); // the head starts at zero weights: its logits would not tell

        // When the same pass runs on the folded snapshot
        Tensor folded;
        using (model.FoldedInference()) folded = model.Features(images);
        var after = model.Features(images);

        // Then the features agree to float32 rounding (bfloat16: to its rounding of the folded weights), and the model is
        // unchanged once the snapshot is gone
        var tolerance = precision == Precision.Fp32 ? 1e-4 : 5e-2;
        var difference = Relative(plain, folded);
        Assert.True(difference <= tolerance, $"{architecture} {precision}: folded features differ by {difference:E2} of the largest");
        Assert.True(plain.abs().max().item<float>() > 0.1f, "the features are too small for the comparison to mean anything");
        Assert.Equal(0f, (plain - after).abs().max().item<float>());
    }
}
