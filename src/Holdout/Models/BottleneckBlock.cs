using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>torchvision's ResNet bottleneck block (v1.5: the stride is on the 3x3 convolution), expansion 4.</summary>
internal sealed class BottleneckBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;
    private readonly long _stride;
    private readonly bool _trimEndPadding;

    public BottleneckBlock(string name, long inChannels, long width, long stride, bool trimEndPadding) : base(name)
    {
        _stride = stride;
        _trimEndPadding = trimEndPadding && stride > 1;
        var outChannels = width * ResNetLayout.Expansion;
        conv1 = Conv2d(inChannels, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, outChannels, 1, bias: false);
        bn3 = BatchNorm2d(outChannels);
        downsample = ResidualShortcut.Create(inChannels, outChannels, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(bn1.forward(MixedPrecision.Conv(conv1, input)));
        var before = x;
        x = MixedPrecision.Conv(conv2, x);
        if (_trimEndPadding) x = StridedPadding.Trim(x, before.shape[2], before.shape[3], 3, _stride, 1);
        x = functional.relu(bn2.forward(x));
        x = bn3.forward(MixedPrecision.Conv(conv3, x));
        return ResidualShortcut.Add(x, input, downsample, _trimEndPadding).MoveToOuterDisposeScope();
    }

    /// <summary>This block's evaluation-mode forward pass with its BatchNorm layers folded into <paramref name="folded"/>.</summary>
    public Func<Tensor, Tensor> Fold(FoldedBackbone folded)
    {
        var (first, second, third, shortcut) = (folded.Conv(conv1, bn1), folded.Conv(conv2, bn2), folded.Conv(conv3, bn3), folded.Shortcut(downsample));
        return input =>
        {
            var x = first(input).relu_();
            var before = x;
            x = second(x);
            if (_trimEndPadding) x = StridedPadding.Trim(x, before.shape[2], before.shape[3], 3, _stride, 1);
            x = third(x.relu_());
            return ResidualShortcut.Add(x, shortcut is null ? input : shortcut(input), _trimEndPadding);
        };
    }
}
