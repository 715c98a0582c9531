using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// torchvision's ConvNeXt block (<c>CNBlock</c>): x + StochasticDepth(layer_scale · block(x)), where block is a 7x7
/// depthwise convolution, then, channels-last, LayerNorm, Linear(C, 4C), exact (erf) GELU and Linear(4C, C). Parameter
/// names are torchvision's: <c>layer_scale</c> (C x 1 x 1), <c>block.0</c> (the depthwise convolution), <c>block.2</c>
/// (the LayerNorm), <c>block.3</c> and <c>block.5</c> (the linear layers); torchvision's <c>block.1</c> and
/// <c>block.6</c> are its permutes and <c>block.4</c> its GELU, which hold nothing.
/// </summary>
internal sealed class ConvNeXtBlock : Module<Tensor, Tensor>
{
    private readonly ConvNeXtBranch block;
    private readonly Parameter layer_scale;
    private readonly StochasticDepth stochastic_depth;

    /// <summary>Creates the block.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="channels">C, its input and output channels.</param>
    /// <param name="layerScale">The layer scale's initial value (torchvision: 1e-6).</param>
    /// <param name="stochasticDepth">The probability of dropping the residual branch of a sample in training mode.</param>
    public ConvNeXtBlock(string name, long channels, double layerScale, double stochasticDepth) : base(name)
    {
        block = new ConvNeXtBranch(channels);
        layer_scale = ModuleParameter.Create(full(channels, 1, 1, layerScale));
        stochastic_depth = new StochasticDepth(stochasticDepth);
        RegisterComponents();
    }

    /// <summary>The probability with which training drops a sample's residual branch.</summary>
    public double StochasticDepthProbability => stochastic_depth.Probability;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var branch = block.forward(input);
        // A float32 layer scale times a bfloat16 branch would promote the rest of the network to float32.
        var scale = layer_scale.dtype == branch.dtype ? (Tensor)layer_scale : layer_scale.to(branch.dtype);
        var result = stochastic_depth.forward(scale * branch);
        return result.add_(input).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// torchvision's <c>CNBlock.block</c> Sequential: depthwise 7x7 convolution, permute to channels-last, LayerNorm,
/// Linear(C, 4C), GELU, Linear(4C, C), permute back. Its parameters keep torchvision's indices (0, 2, 3, 5). In
/// bfloat16 the convolution and the linear layers compute in bfloat16 on float32 master weights and the LayerNorm's
/// statistics in float32 (<see cref="MixedPrecision"/>).
/// </summary>
internal sealed class ConvNeXtBranch : Module<Tensor, Tensor>
{
    [TorchSharp.Utils.ComponentName(Name = "0")]
    private readonly Conv2d depthwise;

    [TorchSharp.Utils.ComponentName(Name = "2")]
    private readonly LayerNorm norm;

    [TorchSharp.Utils.ComponentName(Name = "3")]
    private readonly Linear expand;

    [TorchSharp.Utils.ComponentName(Name = "5")]
    private readonly Linear project;

    public ConvNeXtBranch(long channels) : base("block")
    {
        depthwise = Conv2d(channels, channels, 7, padding: 3, groups: channels, bias: true);
        norm = LayerNorm(channels, eps: ConvNeXtTinyBackbone.Epsilon);
        expand = Linear(channels, 4 * channels, hasBias: true);
        project = Linear(4 * channels, channels, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = MixedPrecision.Conv(depthwise, input).permute(0, 2, 3, 1);
        x = MixedPrecision.LayerNorm(norm, x);
        x = functional.gelu(MixedPrecision.Linear(expand, x));
        x = MixedPrecision.Linear(project, x);
        return x.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }
}
