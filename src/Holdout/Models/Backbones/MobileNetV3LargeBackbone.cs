using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// MobileNetV3-Large without its classifier, in torchvision 0.14's layout and names (<c>features.0.0.weight</c>,
/// <c>features.4.block.2.fc1.weight</c>, ..., <c>features.16.1.running_var</c>): a 3x3 stride-2 stem to 16 channels
/// with Hardswish, fifteen inverted residual blocks (<c>features.1</c>..<c>features.15</c>), and a 1x1 convolution to
/// 960 channels with Hardswish. Every BatchNorm has torchvision's eps 1e-3 and momentum 0.01. Its output is
/// <c>features(x)</c>, N x 960 x H/32 x W/32; torchvision's classifier (960 → 1280, Hardswish, 1280 → 1000) is not
/// part of it.
/// </summary>
internal sealed class MobileNetV3LargeBackbone : Backbone
{
    /// <summary>The BatchNorm settings torchvision's MobileNetV3 uses: <c>partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)</c>.</summary>
    public static readonly (double Eps, double Momentum) Norm = (1e-3, 0.01);

    /// <summary>torchvision's InvertedResidualConfig list for mobilenet_v3_large (width 1, no dilation).</summary>
    private static readonly (long In, long Kernel, long Expanded, long Out, bool SqueezeExcite, Activation Activation, long Stride)[] Settings =
    [
        (16, 3, 16, 16, false, Activation.ReLU, 1),
        (16, 3, 64, 24, false, Activation.ReLU, 2),
        (24, 3, 72, 24, false, Activation.ReLU, 1),
        (24, 5, 72, 40, true, Activation.ReLU, 2),
        (40, 5, 120, 40, true, Activation.ReLU, 1),
        (40, 5, 120, 40, true, Activation.ReLU, 1),
        (40, 3, 240, 80, false, Activation.Hardswish, 2),
        (80, 3, 200, 80, false, Activation.Hardswish, 1),
        (80, 3, 184, 80, false, Activation.Hardswish, 1),
        (80, 3, 184, 80, false, Activation.Hardswish, 1),
        (80, 3, 480, 112, true, Activation.Hardswish, 1),
        (112, 3, 672, 112, true, Activation.Hardswish, 1),
        (112, 5, 672, 160, true, Activation.Hardswish, 2),
        (160, 5, 960, 160, true, Activation.Hardswish, 1),
        (160, 5, 960, 160, true, Activation.Hardswish, 1),
    ];

    private readonly Sequential features;

    public MobileNetV3LargeBackbone() : base("mobilenet_v3_large")
    {
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("0", new ConvNormActivation("0", 3, 16, 3, 2, 1, Activation.Hardswish, Norm)) };
        foreach (var s in Settings)
        {
            var name = $"{layers.Count}";
            layers.Add((name, InvertedResidual.MobileNetV3(name, s.In, s.Kernel, s.Expanded, s.Out, s.SqueezeExcite, s.Activation, s.Stride, Norm)));
        }
        layers.Add(($"{layers.Count}", new ConvNormActivation($"{layers.Count}", 160, 960, 1, 1, 1, Activation.Hardswish, Norm)));
        features = Sequential(layers.ToArray());
        RegisterComponents();
        MobileInitialisation.Apply(this);
    }

    /// <summary>torchvision's <c>features.0</c> .. <c>features.16</c>, one stage each.</summary>
    public override IReadOnlyList<IReadOnlyList<Module>> Stages => features.children().Select(child => (IReadOnlyList<Module>)[child]).ToList();

    public override long FeatureDimension => 960;

    public override string StageNames => "features.0..features.16";

    public override string Description => "mobilenet-v3-large";

    public override bool IsClassifierKey(string name) => name.StartsWith("classifier.", StringComparison.Ordinal);

    /// <summary>The children of <c>features</c>, in order: a ConvNormActivation, fifteen inverted residual blocks, a ConvNormActivation.</summary>
    internal IEnumerable<Module> Features => features.children();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return features.forward(input).MoveToOuterDisposeScope();
    }
}
