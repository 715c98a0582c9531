using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// torchvision's <c>LayerNorm2d</c> (ConvNeXt's stem, downsampling and classifier norm): a LayerNorm over the channels
/// of an N x C x H x W map at each position, computed as torchvision does, on the channels-last view (permute to
/// N x H x W x C, normalise the last dimension, permute back; the result is that channels-last view). Parameters
/// <c>weight</c> and <c>bias</c> (C each), as in torchvision. Statistics are computed in float32 whatever the input's
/// dtype; the result has the input's dtype. It has no running statistics, so training and evaluation compute the same.
/// </summary>
internal sealed class LayerNorm2d : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Creates the norm with weight 1 and bias 0, as torch.nn.LayerNorm starts.</summary>
    /// <param name="channels">The channel count C.</param>
    /// <param name="epsilon">Added to the variance; torchvision's ConvNeXt uses 1e-6.</param>
    public LayerNorm2d(long channels, double epsilon) : base("LayerNorm2d")
    {
        Channels = channels;
        Epsilon = epsilon;
        weight = ModuleParameter.Create(ones(channels));
        bias = ModuleParameter.Create(zeros(channels));
        RegisterComponents();
    }

    /// <summary>The channel count C.</summary>
    public long Channels { get; }

    /// <summary>The epsilon added to the variance.</summary>
    public double Epsilon { get; }

    /// <summary>N x C x H x W to the same shape, each position's C values normalised, scaled and shifted.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Normalise(input.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>The same normalisation of the last dimension of <paramref name="input"/> (e.g. N x C pooled features).</summary>
    public Tensor Normalise(Tensor input)
    {
        if (input.dtype == ScalarType.Float32) return functional.layer_norm(input, [Channels], weight, bias, Epsilon);
        using var scope = NewDisposeScope();
        return functional.layer_norm(input.to(ScalarType.Float32), [Channels], weight, bias, Epsilon).to(input.dtype).MoveToOuterDisposeScope();
    }
}
