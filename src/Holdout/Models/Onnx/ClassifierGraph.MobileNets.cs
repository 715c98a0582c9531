using Holdout.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Onnx;

/// <summary>
/// EfficientNet-B0 and MobileNetV3-Large: the graph follows the backbone's own modules (<c>features.i</c>, their
/// blocks and layers), so it has their names and cannot drift from the layout the backbone was built with.
/// </summary>
internal sealed partial class ClassifierGraph
{
    // AttributeProto.AttributeType FLOAT.
    private const int FloatAttribute = 1;

    /// <summary>EfficientNet-B0's feature map (before pooling).</summary>
    private string EfficientNetB0(string x, EfficientNetB0Backbone net) => MobileFeatures(x, net.Features);

    /// <summary>MobileNetV3-Large's feature map (before pooling).</summary>
    private string MobileNetV3Large(string x, MobileNetV3LargeBackbone net) => MobileFeatures(x, net.Features);

    private string MobileFeatures(string x, IEnumerable<Module> features) =>
        features.Select((layer, i) => (layer, i)).Aggregate(x, (current, item) => MobileLayer(current, item.layer, $"backbone.features.{item.i}"));

    private string MobileLayer(string x, Module layer, string name) => layer switch
    {
        ConvNormActivation conv => ConvNormActivation(x, conv, name),
        InvertedResidual block => InvertedResidual(x, block, name),
        SqueezeExcitation se => SqueezeExcitation(x, se, name),
        Sequential sequence => sequence.named_children().Aggregate(x, (current, child) => MobileLayer(current, child.module, $"{name}.{child.name}")),
        _ => throw new InvalidOperationException($"The ONNX exporter does not know the layer '{name}' ({layer.GetType().Name}); this is a bug in Holdout's exporter."),
    };

    /// <summary>torchvision's Conv2dNormActivation: the convolution (children 0) with its BatchNorm (1) folded in, then the activation.</summary>
    private string ConvNormActivation(string x, ConvNormActivation layer, string name)
    {
        var pad = layer.Padding;
        var y = Conv(x, $"{name}.0", $"{name}.1", layer.Stride, [pad, pad, pad, pad], layer.Groups);
        return Activate(y, layer.Activation, $"{name}.act");
    }

    /// <summary>An inverted residual block (MBConv, InvertedResidual): its layers, plus the input when the shape is kept (stochastic depth is the identity here).</summary>
    private string InvertedResidual(string x, InvertedResidual block, string name)
    {
        var y = block.Layers.Select((layer, i) => (layer, i)).Aggregate(x, (current, item) => MobileLayer(current, item.layer, $"{name}.block.{item.i}"));
        if (!block.UsesResidual) return y;
        var sum = _graph.Node("Add", $"{name}.add", [y, x]);
        _sizes[sum] = _sizes[y];
        return sum;
    }

    /// <summary>Squeeze-and-excitation: x · scale(fc2(act(fc1(mean(x))))), fc1 and fc2 1x1 convolutions with bias.</summary>
    private string SqueezeExcitation(string x, SqueezeExcitation layer, string name)
    {
        var squeezed = _graph.Node("GlobalAveragePool", $"{name}.avgpool", [x]);
        _sizes[squeezed] = (1, 1);
        var s = Activate(Conv(squeezed, $"{name}.fc1", null, 1, [0, 0, 0, 0]), layer.Activation, $"{name}.activation");
        s = Activate(Conv(s, $"{name}.fc2", null, 1, [0, 0, 0, 0]), layer.ScaleActivation, $"{name}.scale_activation");
        var output = _graph.Node("Mul", $"{name}.scale", [x, s]);
        _sizes[output] = _sizes[x];
        return output;
    }

    /// <summary>
    /// An activation in ONNX ops of every opset the exporter writes (11 and later): SiLU as x·Sigmoid(x), Hardsigmoid as
    /// HardSigmoid(alpha 1/6, beta 0.5) = clip(x/6 + 1/2, 0, 1), and Hardswish as x·HardSigmoid(x) (the HardSwish op
    /// needs opset 14).
    /// </summary>
    private string Activate(string x, Activation activation, string name)
    {
        var output = activation switch
        {
            Activation.None => x,
            Activation.ReLU => _graph.Node("Relu", name, [x]),
            Activation.Sigmoid => _graph.Node("Sigmoid", name, [x]),
            Activation.SiLU => _graph.Node("Mul", name, [x, _graph.Node("Sigmoid", name + ".sigmoid", [x])]),
            Activation.Hardsigmoid => HardSigmoid(x, name),
            Activation.Hardswish => _graph.Node("Mul", name, [x, HardSigmoid(x, name + ".hardsigmoid")]),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
        };
        _sizes[output] = _sizes[x];
        return output;
    }

    private string HardSigmoid(string x, string name) =>
        _graph.Node("HardSigmoid", name, [x], FloatAttributeOf("alpha", 1f / 6f), FloatAttributeOf("beta", 0.5f));

    /// <summary>A FLOAT attribute (AttributeProto: name 1, f 2, type 20).</summary>
    private static ProtobufMessage FloatAttributeOf(string name, float value) =>
        new ProtobufMessage().String(1, name).Float(2, value).Int64(20, FloatAttribute);
}
