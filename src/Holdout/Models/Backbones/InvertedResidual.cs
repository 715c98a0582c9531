using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// An inverted residual block as torchvision builds it: <c>block</c>, a sequence of (optional 1x1 expansion,
/// depthwise convolution, optional squeeze-and-excitation, 1x1 projection), plus the input when the block keeps the
/// shape (stride 1, same channels). EfficientNet's <c>MBConv</c> also drops that residual branch per sample with
/// stochastic depth; MobileNetV3's <c>InvertedResidual</c> has none.
/// </summary>
internal sealed class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Sequential block;
    private readonly StochasticDepth? stochastic_depth;

    private InvertedResidual(string name, IReadOnlyList<Module<Tensor, Tensor>> layers, bool useResidual, StochasticDepth? stochasticDepth) : base(name)
    {
        block = Sequential(layers.Select((layer, i) => ($"{i}", layer)).ToArray());
        UsesResidual = useResidual;
        stochastic_depth = stochasticDepth;
        RegisterComponents();
    }

    /// <summary>Whether the input is added to the block's output (stride 1 and as many output channels as input).</summary>
    public bool UsesResidual { get; }

    /// <summary>The layers of <c>block</c>, in order.</summary>
    public IEnumerable<Module<Tensor, Tensor>> Layers => block.children().Cast<Module<Tensor, Tensor>>();

    /// <summary>torchvision's EfficientNet <c>MBConv</c> (SiLU; squeeze channels max(1, input / 4), sigmoid scale).</summary>
    public static InvertedResidual MBConv(string name, long expandRatio, long kernel, long stride, long inChannels, long outChannels,
        double stochasticDepthProbability, (double Eps, double Momentum) norm)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        var expanded = MakeDivisible(inChannels * expandRatio, 8);
        if (expanded != inChannels) layers.Add(new ConvNormActivation($"{layers.Count}", inChannels, expanded, 1, 1, 1, Activation.SiLU, norm));
        layers.Add(new ConvNormActivation($"{layers.Count}", expanded, expanded, kernel, stride, expanded, Activation.SiLU, norm));
        layers.Add(new SqueezeExcitation($"{layers.Count}", expanded, Math.Max(1, inChannels / 4), Activation.SiLU, Activation.Sigmoid));
        layers.Add(new ConvNormActivation($"{layers.Count}", expanded, outChannels, 1, 1, 1, Activation.None, norm));
        return new InvertedResidual(name, layers, stride == 1 && inChannels == outChannels, new StochasticDepth(stochasticDepthProbability));
    }

    /// <summary>torchvision's MobileNetV3 <c>InvertedResidual</c> (ReLU or Hardswish; squeeze channels divisible by 8, hard-sigmoid scale).</summary>
    public static InvertedResidual MobileNetV3(string name, long inChannels, long kernel, long expanded, long outChannels, bool squeezeExcite,
        Activation activation, long stride, (double Eps, double Momentum) norm)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        if (expanded != inChannels) layers.Add(new ConvNormActivation($"{layers.Count}", inChannels, expanded, 1, 1, 1, activation, norm));
        layers.Add(new ConvNormActivation($"{layers.Count}", expanded, expanded, kernel, stride, expanded, activation, norm));
        if (squeezeExcite)
            layers.Add(new SqueezeExcitation($"{layers.Count}", expanded, MakeDivisible(expanded / 4, 8), Activation.ReLU, Activation.Hardsigmoid));
        layers.Add(new ConvNormActivation($"{layers.Count}", expanded, outChannels, 1, 1, 1, Activation.None, norm));
        return new InvertedResidual(name, layers, stride == 1 && inChannels == outChannels, null);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var result = block.forward(input);
        if (UsesResidual)
        {
            if (stochastic_depth is not null) result = stochastic_depth.forward(result);
            result = result + input;
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// torchvision's <c>_make_divisible(v, divisor)</c> (from TensorFlow's MobileNet): the nearest multiple of the
    /// divisor, at least the divisor, and not more than 10 % below <paramref name="value"/>.
    /// </summary>
    public static long MakeDivisible(double value, long divisor)
    {
        var rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
