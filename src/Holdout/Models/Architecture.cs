namespace Holdout.Models;

/// <summary>The network families Holdout can build. Command-line names: <c>simple-cnn</c>, <c>resnet18</c>, <c>resnet34</c>, <c>resnet50</c>,
/// <c>efficientnet-b0</c>, <c>mobilenet-v3-large</c>, <c>convnext-tiny</c>.</summary>
public enum Architecture
{
    /// <summary>The seed project's small Keras CNN (two 3x3 convolutions, max-pool, two dense layers), trained from scratch.</summary>
    SimpleCnn,

    /// <summary>ResNet-18 (basic blocks). With <c>--weights bundled</c> it is the CNTK ImageNet export, whose stages are 2-2-2-3.</summary>
    ResNet18,

    /// <summary>ResNet-34 (basic blocks, stages 3-4-6-3), torchvision layout.</summary>
    ResNet34,

    /// <summary>ResNet-50 (bottleneck blocks, stages 3-4-6-3), torchvision layout.</summary>
    ResNet50,

    /// <summary>EfficientNet-B0 (Tan and Le, 2019), torchvision layout: MBConv blocks with squeeze-and-excitation and SiLU, 1280 features.</summary>
    EfficientNetB0,

    /// <summary>MobileNetV3-Large (Howard et al., 2019), torchvision layout: inverted residuals, hard-swish, 960 features.</summary>
    MobileNetV3Large,

    /// <summary>ConvNeXt-Tiny (Liu et al., 2022), torchvision layout: 7x7 depthwise blocks with LayerNorm and GELU, 768 features.</summary>
    ConvNeXtTiny,
}
