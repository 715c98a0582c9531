using static TorchSharp.torch;

namespace Holdout.Models.Backbones;

/// <summary>The parameter-free activations of torchvision's mobile backbones (<c>nn.ReLU</c>, <c>nn.SiLU</c>, ...).</summary>
internal enum Activation
{
    /// <summary>No activation (a projection's Conv2dNormActivation).</summary>
    None,

    /// <summary>max(x, 0).</summary>
    ReLU,

    /// <summary>x·sigmoid(x) (EfficientNet).</summary>
    SiLU,

    /// <summary>1 / (1 + exp(-x)) (EfficientNet's squeeze-and-excitation scale).</summary>
    Sigmoid,

    /// <summary>x·relu6(x + 3) / 6 (MobileNetV3).</summary>
    Hardswish,

    /// <summary>relu6(x + 3) / 6 (MobileNetV3's squeeze-and-excitation scale).</summary>
    Hardsigmoid,
}

internal static class Activations
{
    /// <summary>The activation of <paramref name="x"/>, in its dtype (libtorch computes all of them in bfloat16 too).</summary>
    public static Tensor Apply(this Activation activation, Tensor x) => activation switch
    {
        Activation.None => x,
        Activation.ReLU => x.relu(),
        Activation.SiLU => x.silu(),
        Activation.Sigmoid => x.sigmoid(),
        Activation.Hardswish => x.hardswish(),
        Activation.Hardsigmoid => x.hardsigmoid(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}
