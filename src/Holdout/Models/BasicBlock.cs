using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>torchvision's ResNet basic block: 3x3 conv, BN, ReLU, 3x3 conv, BN, plus the shortcut, ReLU.</summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;
    private readonly long _stride;
    private readonly bool _trimEndPadding;

    public BasicBlock(string name, long inChannels, long width, long stride, bool trimEndPadding) : base(name)
    {
        _stride = stride;
        _trimEndPadding = trimEndPadding && stride > 1;
        conv1 = Conv2d(inChannels, width, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        downsample = ResidualShortcut.Create(inChannels, width, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = MixedPrecision.Conv(conv1, input);
        if (_trimEndPadding) x = StridedPadding.Trim(x, input.shape[2], input.shape[3], 3, _stride, 1);
        x = functional.relu(bn1.forward(x));
        x = bn2.forward(MixedPrecision.Conv(conv2, x));
        return ResidualShortcut.Add(x, input, downsample, _trimEndPadding).MoveToOuterDisposeScope();
    }

    /// <summary>This block's evaluation-mode forward pass with its BatchNorm layers folded into <paramref name="folded"/>.</summary>
    public Func<Tensor, Tensor> Fold(FoldedBackbone folded)
    {
        var (first, second, shortcut) = (folded.Conv(conv1, bn1), folded.Conv(conv2, bn2), folded.Shortcut(downsample));
        return input =>
        {
            var x = first(input);
            if (_trimEndPadding) x = StridedPadding.Trim(x, input.shape[2], input.shape[3], 3, _stride, 1);
            x = second(x.relu_());
            return ResidualShortcut.Add(x, shortcut is null ? input : shortcut(input), _trimEndPadding);
        };
    }
}
