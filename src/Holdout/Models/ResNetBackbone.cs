using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// A ResNet without its classifier, in torchvision's layout and parameter names (<c>conv1</c>, <c>bn1</c>,
/// <c>layer1.0.conv1</c>, ..., <c>layer2.0.downsample.0</c>), so torchvision state dicts map one to one. Its output
/// is the last stage's feature map (N x C x h x w); pooling belongs to the head.
/// </summary>
internal sealed class ResNetBackbone : Backbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly bool _trimEndPadding;

    public ResNetBackbone(ResNetLayout layout) : base(layout.Name)
    {
        if (layout.Blocks.Length != 4 || layout.Widths.Length != 4)
            throw new ArgumentException("A ResNet layout has four stages.", nameof(layout));
        Layout = layout;
        _trimEndPadding = layout.TrimEndPadding;
        conv1 = Conv2d(3, layout.StemWidth, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(layout.StemWidth);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        long channels = layout.StemWidth;
        var layers = new Sequential[4];
        for (int stage = 0; stage < 4; stage++)
        {
            var blocks = new List<Module<Tensor, Tensor>>();
            for (int b = 0; b < layout.Blocks[stage]; b++)
            {
                long stride = stage > 0 && b == 0 ? 2 : 1;
                Module<Tensor, Tensor> block = layout.Bottleneck
                    ? new BottleneckBlock($"{b}", channels, layout.Widths[stage], stride, layout.TrimEndPadding)
                    : new BasicBlock($"{b}", channels, layout.Widths[stage], stride, layout.TrimEndPadding);
                blocks.Add(block);
                channels = layout.Widths[stage] * (layout.Bottleneck ? ResNetLayout.Expansion : 1);
            }
            layers[stage] = Sequential(blocks);
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3]);
        RegisterComponents();
        InitialiseLikeTorchvision();
    }

    public ResNetLayout Layout { get; }

    /// <summary>The freezable stages, earliest first: the stem (conv1, bn1), then layer1..layer4.</summary>
    public override IReadOnlyList<IReadOnlyList<Module>> Stages => [[conv1, bn1], [layer1], [layer2], [layer3], [layer4]];

    public override long FeatureDimension => Layout.FeatureDimension;

    public override string StageNames => "stem, layer1..layer4";

    public override string Description => Layout.Description;

    public override bool IsClassifierKey(string name) => name.StartsWith("fc.", StringComparison.Ordinal);

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = MixedPrecision.Conv(conv1, input);
        if (_trimEndPadding) x = StridedPadding.Trim(x, input.shape[2], input.shape[3], 7, 2, 3);
        x = functional.relu(bn1.forward(x));
        var beforePool = x;
        x = maxpool.forward(x);
        if (_trimEndPadding) x = StridedPadding.Trim(x, beforePool.shape[2], beforePool.shape[3], 3, 2, 1);
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The evaluation-mode forward pass with every BatchNorm folded into <paramref name="folded"/>.</summary>
    public Func<Tensor, Tensor> Fold(FoldedBackbone folded)
    {
        var stem = folded.Conv(conv1, bn1);
        var blocks = new[] { layer1, layer2, layer3, layer4 }.SelectMany(layer => layer.children())
            .Select(block => block switch
            {
                BasicBlock basic => basic.Fold(folded),
                BottleneckBlock bottleneck => bottleneck.Fold(folded),
                _ => throw new InvalidOperationException($"A ResNet stage holds a {block.GetType().Name}."),
            }).ToList();
        return input =>
        {
            var x = stem(input);
            if (_trimEndPadding) x = StridedPadding.Trim(x, input.shape[2], input.shape[3], 7, 2, 3);
            var beforePool = x.relu_();
            x = maxpool.forward(beforePool);
            if (_trimEndPadding) x = StridedPadding.Trim(x, beforePool.shape[2], beforePool.shape[3], 3, 2, 1);
            return blocks.Aggregate(x, (current, block) => block(current));
        };
    }

    /// <summary>torchvision's initialisation: Kaiming-normal (fan out, ReLU) convolutions, BatchNorm weight 1 and bias 0.</summary>
    private void InitialiseLikeTorchvision()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight);
                    init.zeros_(bn.bias);
                    break;
            }
        }
    }
}
