using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// An evaluation-mode snapshot of a ResNet backbone with every BatchNorm folded into the convolution before it:
/// weight W·γ/√(σ²+ε) and bias β − μ·γ/√(σ²+ε), computed in float32 from the current weights and moving statistics,
/// then stored in the compute dtype. It computes what the backbone computes in evaluation mode, one elementwise pass
/// fewer per convolution and without re-casting the weights every batch. It is a snapshot: it does not follow later
/// changes to the weights, so whoever makes one disposes of it before they train again.
/// </summary>
/// <remarks>
/// The speed-up it brings, per precision, is recorded in docs/benchmarks.md.
/// </remarks>
internal sealed class FoldedBackbone : IDisposable
{
    private readonly List<Tensor> _owned = [];
    private readonly Func<Tensor, Tensor> _forward;
    private readonly bool _channelsLast;

    /// <summary>Folds <paramref name="backbone"/> for inputs of <paramref name="dtype"/>.</summary>
    public FoldedBackbone(ResNetBackbone backbone, ScalarType dtype, bool channelsLast)
    {
        DType = dtype;
        _channelsLast = channelsLast;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _forward = backbone.Fold(this);
    }

    /// <summary>Whether the weights are stored channels-last, for channels-last input.</summary>
    public bool ChannelsLast => _channelsLast;

    /// <summary>The dtype the folded weights are stored in (the input's dtype).</summary>
    public ScalarType DType { get; }

    /// <summary>The backbone's evaluation-mode feature map of <paramref name="input"/> (in <see cref="DType"/>).</summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return _forward(input).MoveToOuterDisposeScope();
    }

    /// <summary>One convolution with its BatchNorm folded in (<paramref name="bn"/> null: the convolution alone).</summary>
    public Func<Tensor, Tensor> Conv(Conv2d conv, BatchNorm2d? bn)
    {
        var weight = conv.weight.detach().to(ScalarType.Float32);
        var bias = conv.bias?.detach().to(ScalarType.Float32);
        if (bn is not null)
        {
            if (bn.running_var is not { } variance || bn.running_mean is not { } mean)
                throw new InvalidOperationException("Only BatchNorm layers with moving statistics fold into a convolution.");
            var scale = variance.to(ScalarType.Float32).add(bn.eps).rsqrt();
            if (bn.weight is not null) scale = scale.mul(bn.weight.detach());
            var shift = (bias ?? zeros_like(scale)).sub(mean).mul(scale);
            if (bn.bias is not null) shift = shift.add(bn.bias.detach());
            weight = weight.mul(scale.view(-1, 1, 1, 1));
            bias = shift;
        }
        // Channels-last weights go with a channels-last input (ImageClassifier.UsesChannelsLast); a default-layout input
        // needs default-layout weights (libtorch picks channels-last if either is, see ImageClassifier.ChannelsLast).
        var w = Keep(_channelsLast ? ImageClassifier.ChannelsLast(weight.to(DType)) : weight.to(DType).contiguous());
        var b = bias is null ? null : Keep(bias.to(DType));
        var (stride, padding, dilation, groups) = (conv.stride, conv.padding, conv.dilation, conv.groups);
        return x => functional.conv2d(x, w, b, stride, padding, dilation, groups);
    }

    /// <summary>A projection shortcut (a Sequential of a convolution and its BatchNorm), or identity for null.</summary>
    public Func<Tensor, Tensor>? Shortcut(Sequential? downsample) =>
        downsample is null ? null : Conv((Conv2d)downsample.children().First(), downsample.children().OfType<BatchNorm2d>().Single());

    private Tensor Keep(Tensor t)
    {
        var kept = t.DetachFromDisposeScope();
        _owned.Add(kept);
        return kept;
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
