using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// EfficientNet-B0 without its classifier, in torchvision 0.14's layout and names (<c>features.0.0.weight</c>,
/// <c>features.1.0.block.1.fc1.weight</c>, ..., <c>features.8.1.running_var</c>): a 3x3 stride-2 stem to 32 channels,
/// seven stages of MBConv blocks (16 blocks, stochastic depth 0.2·i/16 for block i), and a 1x1 convolution to 1280
/// channels, each followed by BatchNorm (eps 1e-5, momentum 0.1: B0 keeps PyTorch's defaults) and SiLU. Its output is
/// <c>features(x)</c>, N x 1280 x H/32 x W/32.
/// </summary>
internal sealed class EfficientNetB0Backbone : Backbone
{
    /// <summary>The BatchNorm settings torchvision's efficientnet_b0 uses (nn.BatchNorm2d's defaults).</summary>
    public static readonly (double Eps, double Momentum) Norm = (1e-5, 0.1);

    /// <summary>torchvision's MBConvConfig list for B0: expand ratio, kernel, stride, input and output channels, blocks.</summary>
    private static readonly (long Expand, long Kernel, long Stride, long In, long Out, int Blocks)[] Settings =
    [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ];

    /// <summary>torchvision's default stochastic depth probability for EfficientNet (of the last block, scaled linearly).</summary>
    public const double StochasticDepthProbability = 0.2;

    private readonly Sequential features;

    public EfficientNetB0Backbone() : base("efficientnet_b0")
    {
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("0", new ConvNormActivation("0", 3, 32, 3, 2, 1, Activation.SiLU, Norm)) };
        var total = Settings.Sum(s => s.Blocks);
        var index = 0;
        foreach (var s in Settings)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int b = 0; b < s.Blocks; b++)
            {
                var (inChannels, stride) = b == 0 ? (s.In, s.Stride) : (s.Out, 1L);
                var probability = StochasticDepthProbability * index / total;
                blocks.Add(($"{b}", InvertedResidual.MBConv($"{b}", s.Expand, s.Kernel, stride, inChannels, s.Out, probability, Norm)));
                index++;
            }
            layers.Add(($"{layers.Count}", Sequential(blocks.ToArray())));
        }
        layers.Add(($"{layers.Count}", new ConvNormActivation($"{layers.Count}", 320, 1280, 1, 1, 1, Activation.SiLU, Norm)));
        features = Sequential(layers.ToArray());
        RegisterComponents();
        MobileInitialisation.Apply(this);
    }

    /// <summary>torchvision's <c>features.0</c> .. <c>features.8</c>, one stage each.</summary>
    public override IReadOnlyList<IReadOnlyList<Module>> Stages => features.children().Select(child => (IReadOnlyList<Module>)[child]).ToList();

    public override long FeatureDimension => 1280;

    public override string StageNames => "features.0..features.8";

    public override string Description => "efficientnet-b0";

    public override bool IsClassifierKey(string name) => name.StartsWith("classifier.", StringComparison.Ordinal);

    /// <summary>The children of <c>features</c>, in order: a ConvNormActivation, seven Sequentials of MBConv blocks, a ConvNormActivation.</summary>
    internal IEnumerable<Module> Features => features.children();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return features.forward(input).MoveToOuterDisposeScope();
    }
}
