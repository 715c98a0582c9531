namespace Holdout.Models.Backbones;

/// <summary>
/// Builds the backbone of each pretrained-style architecture and knows what torchvision's weights for it expect:
/// the evaluation crop of its ImageNet weights' metadata and torchvision's function name.
/// </summary>
internal static class BackboneCatalog
{
    /// <summary>A new backbone of <paramref name="architecture"/>, initialised as torchvision initialises it.</summary>
    /// <param name="architecture">Any architecture but the simple CNN.</param>
    /// <param name="layout">A ResNet's layout (the bundled CNTK ResNet-18's differs from torchvision's); null for the default.</param>
    public static Backbone Create(Architecture architecture, ResNetLayout? layout = null) => architecture switch
    {
        Architecture.ResNet18 => new ResNetBackbone(layout ?? ResNetLayout.TorchVision18),
        Architecture.ResNet34 => new ResNetBackbone(layout ?? ResNetLayout.TorchVision34),
        Architecture.ResNet50 => new ResNetBackbone(layout ?? ResNetLayout.TorchVision50),
        Architecture.EfficientNetB0 => new EfficientNetB0Backbone(),
        Architecture.MobileNetV3Large => new MobileNetV3LargeBackbone(),
        Architecture.ConvNeXtTiny => new ConvNeXtTinyBackbone(),
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "The simple CNN has no pretrained-style backbone."),
    };

    /// <summary>
    /// torchvision's evaluation crop for the architecture's ImageNet weights (crop size / resize size in the weights'
    /// metadata, torchvision 0.14): 224/256 for ResNets (IMAGENET1K_V1), EfficientNet-B0 and MobileNetV3-Large
    /// (IMAGENET1K_V1), 224/236 for ConvNeXt-Tiny.
    /// </summary>
    public static double EvalCrop(Architecture architecture) =>
        architecture == Architecture.ConvNeXtTiny ? 224.0 / 236.0 : Imaging.Preprocessing.DefaultEvalCrop;

    /// <summary>The length of the architecture's pooled feature vector (torchvision's classifier input).</summary>
    public static long FeatureDimension(Architecture architecture) => architecture switch
    {
        Architecture.ResNet18 or Architecture.ResNet34 => 512,
        Architecture.ResNet50 => 2048,
        Architecture.EfficientNetB0 => 1280,
        Architecture.MobileNetV3Large => 960,
        Architecture.ConvNeXtTiny => 768,
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "The simple CNN's features depend on its input size."),
    };

    /// <summary>torchvision's name for the architecture's model function, e.g. <c>efficientnet_b0</c>.</summary>
    public static string TorchvisionName(Architecture architecture) => architecture switch
    {
        Architecture.ResNet18 => "resnet18",
        Architecture.ResNet34 => "resnet34",
        Architecture.ResNet50 => "resnet50",
        Architecture.EfficientNetB0 => "efficientnet_b0",
        Architecture.MobileNetV3Large => "mobilenet_v3_large",
        Architecture.ConvNeXtTiny => "convnext_tiny",
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "The simple CNN is not a torchvision model."),
    };
}
