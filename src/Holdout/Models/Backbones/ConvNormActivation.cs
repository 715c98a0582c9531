using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// torchvision's <c>Conv2dNormActivation</c>: a bias-free convolution with padding (kernel - 1) / 2, BatchNorm, then an
/// activation (or none). Its children are named <c>0</c> (the convolution) and <c>1</c> (the BatchNorm) as in
/// torchvision's <c>nn.Sequential</c>; the activation has no state, so <c>2</c> appears in no state dict.
/// </summary>
internal sealed class ConvNormActivation : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _norm;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Square kernel side (odd).</param>
    /// <param name="stride">Stride.</param>
    /// <param name="groups">Groups (the channel count for a depthwise convolution).</param>
    /// <param name="activation">The activation after the BatchNorm.</param>
    /// <param name="norm">The BatchNorm's eps and momentum (torchvision: 1e-5 and 0.1 for EfficientNet-B0, 1e-3 and 0.01 for MobileNetV3).</param>
    public ConvNormActivation(string name, long inChannels, long outChannels, long kernel, long stride, long groups, Activation activation, (double Eps, double Momentum) norm)
        : base(name)
    {
        Kernel = kernel;
        Stride = stride;
        Padding = (kernel - 1) / 2;
        Groups = groups;
        Activation = activation;
        _conv = Conv2d(inChannels, outChannels, kernel, stride: stride, padding: Padding, groups: groups, bias: false);
        _norm = BatchNorm2d(outChannels, eps: norm.Eps, momentum: norm.Momentum);
        register_module("0", _conv);
        register_module("1", _norm);
    }

    public long Kernel { get; }

    public long Stride { get; }

    /// <summary>The padding on every side, (kernel - 1) / 2.</summary>
    public long Padding { get; }

    public long Groups { get; }

    public Activation Activation { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Activation.Apply(_norm.forward(MixedPrecision.Conv(_conv, input))).MoveToOuterDisposeScope();
    }
}
