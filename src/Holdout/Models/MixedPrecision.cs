using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// Autocast by hand (TorchSharp has none): the backbone runs in the dtype of its input. A convolution whose input is
/// bfloat16 uses a bfloat16 copy of its float32 weights, made inside the autograd graph, so gradients reach the float32
/// master weights as float32 and the optimiser state stays float32. BatchNorm takes a bfloat16 input with float32
/// weights and statistics natively (libtorch's mixed-type kernels), so its statistics stay float32. With a float32
/// input everything is exactly the plain float32 path.
/// </summary>
internal static class MixedPrecision
{
    /// <summary>The convolution of <paramref name="input"/> in the input's dtype.</summary>
    /// <remarks>
    /// A strided 1x1 convolution without padding reads every stride-th pixel; in bfloat16 it runs as a 1x1 convolution
    /// of that subsampled input, the same arithmetic, because libtorch 2.10's bfloat16 backward of strided 1x1
    /// convolutions with many channels (1024 to 2048, ResNet-50's last downsample) kills the process on this CPU.
    /// </remarks>
    public static Tensor Conv(Conv2d conv, Tensor input)
    {
        if (input.dtype == conv.weight.dtype) return conv.forward(input);
        var stride = conv.stride;
        if (conv.kernel_size.All(k => k == 1) && (conv.padding ?? []).All(p => p == 0) && stride.Any(s => s > 1) && conv.groups == 1)
        {
            var channelsLast = input.shape[1] > 1 && input.stride(1) == 1;
            input = input[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, stride[0]), TensorIndex.Slice(null, null, stride[1])];
            // A strided view of a channels-last map is neither layout; libtorch 2.10's bfloat16 1x1 convolution of
            // such a view over a small map (4x4 and below) dies with SIGFPE. A channels-last copy is safe and small.
            if (channelsLast) input = ImageClassifier.ChannelsLast(input);
            stride = [1, 1];
        }
        return functional.conv2d(input, conv.weight.to(input.dtype), conv.bias?.to(input.dtype), stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>A linear layer on <paramref name="input"/> in the input's dtype (a bfloat16 copy of float32 weights in the graph).</summary>
    public static Tensor Linear(Linear linear, Tensor input) =>
        input.dtype == linear.weight.dtype ? linear.forward(input) : functional.linear(input, linear.weight.to(input.dtype), linear.bias?.to(input.dtype));

    /// <summary>
    /// A LayerNorm of <paramref name="input"/> computed in float32 (its statistics need the precision) and returned in
    /// the input's dtype.
    /// </summary>
    public static Tensor LayerNorm(LayerNorm norm, Tensor input) =>
        input.dtype == ScalarType.Float32 ? norm.forward(input) : norm.forward(input.to(ScalarType.Float32)).to(input.dtype);

    /// <summary>A module (a convolution, or a sequence of convolutions and other layers) in the input's dtype.</summary>
    public static Tensor Forward(Module<Tensor, Tensor> module, Tensor input) => module switch
    {
        Conv2d conv => Conv(conv, input),
        Sequential sequence => sequence.children().Aggregate(input, (x, child) => Forward((Module<Tensor, Tensor>)child, x)),
        _ => module.forward(input),
    };
}
