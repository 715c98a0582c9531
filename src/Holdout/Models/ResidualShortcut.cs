using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>The shortcut path that <see cref="BasicBlock"/> and <see cref="BottleneckBlock"/> share.</summary>
internal static class ResidualShortcut
{
    /// <summary>
    /// torchvision's projection shortcut (1x1 convolution with the block's stride, then BatchNorm) where the block
    /// changes the resolution or the channel count; null (identity) where it changes neither.
    /// </summary>
    public static Sequential? Create(long inChannels, long outChannels, long stride) =>
        stride != 1 || inChannels != outChannels
            ? Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels))
            : null;

    /// <summary>ReLU(<paramref name="residual"/> + shortcut(<paramref name="input"/>)), adding in place into the residual.</summary>
    public static Tensor Add(Tensor residual, Tensor input, Sequential? downsample, bool trimEndPadding) =>
        Add(residual, downsample is null ? input : MixedPrecision.Forward(downsample, input), trimEndPadding);

    /// <summary>ReLU(<paramref name="residual"/> + <paramref name="identity"/>), the shortcut's output already computed.</summary>
    public static Tensor Add(Tensor residual, Tensor identity, bool trimEndPadding)
    {
        // With end-trimmed padding an odd input gives the main path floor(n/2) positions and the 1x1 stride-2
        // shortcut ceil(n/2) (the CNTK graph itself cannot add them); keep the shortcut's aligned positions.
        if (trimEndPadding && identity.shape[2] != residual.shape[2]) identity = identity.narrow(2, 0, residual.shape[2]);
        if (trimEndPadding && identity.shape[3] != residual.shape[3]) identity = identity.narrow(3, 0, residual.shape[3]);
        return functional.relu(residual.add_(identity));
    }
}
