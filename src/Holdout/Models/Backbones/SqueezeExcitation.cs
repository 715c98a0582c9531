using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// torchvision's <c>SqueezeExcitation</c>: the input's global average (N x C x 1 x 1), a 1x1 convolution with bias to
/// the squeeze channels (<c>fc1</c>), an activation, a 1x1 convolution back (<c>fc2</c>), a scale activation, and the
/// input multiplied by that per-channel scale.
/// </summary>
internal sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="channels">Input (and output) channels.</param>
    /// <param name="squeezeChannels">Channels between fc1 and fc2.</param>
    /// <param name="activation">After fc1: SiLU in EfficientNet, ReLU in MobileNetV3.</param>
    /// <param name="scaleActivation">After fc2: Sigmoid in EfficientNet, Hardsigmoid in MobileNetV3.</param>
    public SqueezeExcitation(string name, long channels, long squeezeChannels, Activation activation, Activation scaleActivation) : base(name)
    {
        Activation = activation;
        ScaleActivation = scaleActivation;
        fc1 = Conv2d(channels, squeezeChannels, 1);
        fc2 = Conv2d(squeezeChannels, channels, 1);
        RegisterComponents();
    }

    public Activation Activation { get; }

    public Activation ScaleActivation { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var scale = input.mean([2L, 3L], keepdim: true);
        scale = ScaleActivation.Apply(MixedPrecision.Conv(fc2, Activation.Apply(MixedPrecision.Conv(fc1, scale))));
        return (scale * input).MoveToOuterDisposeScope();
    }
}
