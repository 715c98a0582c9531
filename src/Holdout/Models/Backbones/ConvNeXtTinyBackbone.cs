using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// ConvNeXt-Tiny without its last linear layer, in torchvision 0.14's layout and parameter names, so a torchvision
/// <c>convnext_tiny</c> state dict loads unchanged (its <c>classifier.2.*</c> Linear excepted, which Holdout's head
/// replaces). <c>features.0</c> is the stem (4x4 stride-4 convolution, LayerNorm2d at <c>features.0.1</c>);
/// <c>features.1</c>, <c>.3</c>, <c>.5</c>, <c>.7</c> hold 3, 3, 9 and 3 blocks (<see cref="ConvNeXtBlock"/>:
/// <c>features.i.j.layer_scale</c>, <c>features.i.j.block.0/2/3/5</c>) of 96, 192, 384 and 768 channels;
/// <c>features.2</c>, <c>.4</c>, <c>.6</c> downsample (LayerNorm2d at <c>features.i.0</c>, 2x2 stride-2 convolution at
/// <c>features.i.1</c>). torchvision's classifier is LayerNorm2d, Flatten, Linear; its norm belongs to the pooled
/// features, so this backbone owns it, at torchvision's name <c>classifier.0</c>. The forward pass returns
/// <c>features(x)</c> (N x 768 x H/32 x W/32); <see cref="Pool"/> averages it globally and applies the
/// <c>classifier.0</c> norm (float32), giving the vector torchvision's last Linear reads.
/// </summary>
/// <remarks>
/// <para>As torchvision: LayerNorm epsilon 1e-6, exact (erf) GELU, layer scale initialised to 1e-6, stochastic depth
/// (row mode) rising linearly over the 18 blocks from 0 to 0.1 (block k of 18: 0.1·k/17), convolution and linear
/// weights truncated-normal with std 0.02 (cut at ±2, torchvision's absolute bounds) and biases zero, LayerNorms
/// weight 1 and bias 0.</para>
/// <para>Freezing: the stages (<see cref="Stages"/>) are torchvision's <c>features.0</c>..<c>features.7</c>; the
/// <c>classifier.0</c> norm freezes with the last one (<c>features.7</c>), since it is part of the features the head
/// reads. A frozen stage's parameters all stop training: convolution and linear weights and biases, the LayerNorms'
/// affine weight and bias, and the blocks' <c>layer_scale</c>. ConvNeXt has LayerNorm and no BatchNorm, so the
/// <c>--batch-norm</c> policies (<see cref="BatchNormPolicy"/>) have nothing to act on: every policy trains the same
/// network. LayerNorm keeps no running statistics, so training and evaluation mode compute the same function apart
/// from stochastic depth, which drops residual branches at random in training mode only; the stochastic depth of frozen
/// stages stays in evaluation mode (<see cref="ImageClassifier.train"/>), so a frozen stage computes in training exactly
/// what it computes in evaluation, whatever the policy.</para>
/// <para>Mixed precision: in bfloat16 the convolutions and linear layers compute in bfloat16 on float32 master weights,
/// every LayerNorm computes its statistics in float32, and <see cref="Pool"/> reads the float32 map.</para>
/// </remarks>
internal sealed class ConvNeXtTinyBackbone : Backbone
{
    /// <summary>torchvision's LayerNorm epsilon for ConvNeXt.</summary>
    public const double Epsilon = 1e-6;

    /// <summary>torchvision's initial layer scale.</summary>
    public const double LayerScale = 1e-6;

    /// <summary>convnext_tiny's stochastic depth probability of its last block.</summary>
    public const double StochasticDepthProbability = 0.1;

    /// <summary>Blocks per stage (features.1, .3, .5, .7).</summary>
    public static readonly IReadOnlyList<int> Blocks = [3, 3, 9, 3];

    /// <summary>Channels per stage.</summary>
    public static readonly IReadOnlyList<long> Widths = [96, 192, 384, 768];

    private readonly Sequential features;
    private readonly Sequential classifier;
    private readonly IReadOnlyList<IReadOnlyList<Module>> _stages;

    public ConvNeXtTinyBackbone() : base("convnext_tiny")
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            Sequential(Conv2d(3, Widths[0], 4, stride: 4, padding: 0L, bias: true), new LayerNorm2d(Widths[0], Epsilon)),
        };
        var total = Blocks.Sum();
        var index = 0;
        for (int stage = 0; stage < Blocks.Count; stage++)
        {
            var blocks = new List<Module<Tensor, Tensor>>();
            for (int b = 0; b < Blocks[stage]; b++, index++)
                blocks.Add(new ConvNeXtBlock($"{b}", Widths[stage], LayerScale, StochasticDepthProbability * index / (total - 1.0)));
            layers.Add(Sequential(blocks));
            if (stage + 1 < Blocks.Count)
                layers.Add(Sequential(new LayerNorm2d(Widths[stage], Epsilon), Conv2d(Widths[stage], Widths[stage + 1], 2, stride: 2, padding: 0L, bias: true)));
        }
        features = Sequential(layers);
        classifier = Sequential(("0", (Module<Tensor, Tensor>)new LayerNorm2d(Widths[^1], Epsilon)));
        _stages = [.. layers.Select((layer, i) => i == layers.Count - 1 ? new Module[] { layer, classifier } : new Module[] { layer })];
        RegisterComponents();
        InitialiseLikeTorchvision();
    }

    /// <summary>
    /// The freezable stages, earliest first: torchvision's <c>features.0</c> (stem) to <c>features.7</c>; the last also
    /// holds the <c>classifier.0</c> norm of the pooled features.
    /// </summary>
    public override IReadOnlyList<IReadOnlyList<Module>> Stages => _stages;

    public override long FeatureDimension => Widths[^1];

    public override string StageNames => "features.0 (stem) .. features.7 (with the classifier.0 norm)";

    public override string Description => "convnext-tiny";

    /// <summary>torchvision's <c>classifier.2</c> Linear; <c>classifier.0</c> (the norm) belongs to the backbone.</summary>
    public override bool IsClassifierKey(string name) => name.StartsWith("classifier.2.", StringComparison.Ordinal);

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return MixedPrecision.Forward(features, input).MoveToOuterDisposeScope();
    }

    /// <summary>Global average, then the <c>classifier.0</c> LayerNorm over the channels (float32).</summary>
    public override Tensor Pool(Tensor map)
    {
        using var scope = NewDisposeScope();
        var pooled = map.mean([2L, 3L]);
        if (pooled.dtype != ScalarType.Float32) pooled = pooled.to(ScalarType.Float32);
        return PoolNorm.Normalise(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>The <c>classifier.0</c> norm (not a field of its own: a module field would be registered a second time).</summary>
    private LayerNorm2d PoolNorm => (LayerNorm2d)classifier.children().Single();

    /// <summary>
    /// Fills <paramref name="tensor"/> from N(0, std²) truncated to [a, b] as PyTorch's <c>nn.init.trunc_normal_</c> does
    /// (inverse-CDF sampling from the global generator). TorchSharp 0.107's <c>init.trunc_normal_</c> cannot be used: it
    /// multiplies by the mean and adds the standard deviation, so with mean 0 it fills every value with the std.
    /// </summary>
    internal static void TruncatedNormal(Tensor tensor, double std, double a, double b)
    {
        using var noGrad = no_grad();
        var (low, high) = (NormalCdf(a / std), NormalCdf(b / std));
        tensor.uniform_(2 * low - 1, 2 * high - 1).erfinv_().mul_(std * Math.Sqrt(2)).clamp_(a, b);
    }

    private static double NormalCdf(double x)
    {
        using var scaled = torch.tensor(x / Math.Sqrt(2), ScalarType.Float64);
        using var erf = scaled.erf();
        return (1 + erf.item<double>()) / 2;
    }

    /// <summary>torchvision's ConvNeXt initialisation: trunc_normal_(std=0.02) convolution and linear weights, zero biases.</summary>
    private void InitialiseLikeTorchvision()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            var (weight, bias) = module switch
            {
                Conv2d conv => (conv.weight, conv.bias),
                Linear linear => (linear.weight, linear.bias),
                _ => (null, null),
            };
            if (weight is null) continue;
            TruncatedNormal(weight, 0.02, -2, 2);
            if (bias is not null) init.zeros_(bias);
        }
    }
}
