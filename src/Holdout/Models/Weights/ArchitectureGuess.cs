using System.Globalization;
using static TorchSharp.torch;

namespace Holdout.Models.Weights;

/// <summary>
/// Names the architecture a state dict looks like from its keys and a few shapes, for the message of weights that do
/// not fit the chosen <c>--model</c>: torchvision's ResNets, EfficientNets, MobileNets, ConvNeXts and a few others, and
/// timm's names for the same networks (which Holdout does not read: it reads torchvision's layout).
/// </summary>
internal static class ArchitectureGuess
{
    /// <summary>A few of torchvision's key names for <paramref name="architecture"/>, for messages.</summary>
    public static string ExampleKeys(Architecture architecture) => architecture switch
    {
        Architecture.EfficientNetB0 => "names like features.0.0.weight, features.1.0.block.0.0.weight",
        Architecture.MobileNetV3Large => "names like features.0.0.weight, features.1.block.0.0.weight",
        Architecture.ConvNeXtTiny => "names like features.0.0.weight, features.1.0.layer_scale, classifier.0.weight",
        _ => "names like conv1.weight, layer1.0.conv1.weight",
    };

    /// <summary>"The file looks like ..." for a message, or a sentence saying it matches nothing Holdout knows.</summary>
    /// <param name="tensors">The state dict, by name.</param>
    public static string Describe(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var guess = Guess(tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal));
        return guess is null
            ? $"The file's {tensors.Count} tensors (first: {string.Join(", ", tensors.Keys.Take(3))}) match no architecture Holdout knows."
            : $"The file looks like {guess}.";
    }

    /// <summary>The architecture the keys and shapes look like, e.g. "torchvision's resnet50 (...)", or null.</summary>
    /// <param name="shapes">Tensor shapes by name.</param>
    public static string? Guess(IReadOnlyDictionary<string, long[]> shapes)
    {
        bool Has(string key) => shapes.ContainsKey(key);
        int Count(Func<int, string> key)
        {
            var n = 0;
            while (Has(key(n))) n++;
            return n;
        }
        string Classes(string key) =>
            shapes.TryGetValue(key, out var s) && s.Length == 2 ? string.Create(CultureInfo.InvariantCulture, $", a classifier for {s[0]} classes") : "";

        if (Has("conv1.weight") && Has("layer1.0.conv1.weight"))
        {
            var bottleneck = Has("layer1.0.conv3.weight");
            var stages = Enumerable.Range(1, 4).Select(stage => Count(b => $"layer{stage}.{b}.conv1.weight")).ToArray();
            var blocks = string.Join('-', stages);
            string? name = (bottleneck, blocks) switch
            {
                (false, "2-2-2-2") => "resnet18",
                (false, "3-4-6-3") => "resnet34",
                (true, "3-4-6-3") => shapes.TryGetValue("layer1.0.conv1.weight", out var c) && c[0] == 128 ? "wide_resnet50_2 or resnext50" : "resnet50",
                (true, "3-4-23-3") => "resnet101",
                (true, "3-8-36-3") => "resnet152",
                _ => null,
            };
            var kind = bottleneck ? "bottleneck" : "basic";
            return name is null
                ? $"a ResNet with {kind} blocks, stages {blocks}{Classes("fc.weight")}"
                : $"torchvision's (or timm's) {name} ({kind} blocks, stages {blocks}{Classes("fc.weight")})";
        }
        if (Has("features.0.0.weight") && Has("features.1.0.layer_scale"))
        {
            var width = shapes["features.0.0.weight"][0];
            var third = Count(b => $"features.5.{b}.layer_scale");
            var name = (width, third) switch
            {
                (96, 9) => "convnext_tiny",
                (96, 27) => "convnext_small",
                (128, 27) => "convnext_base",
                (192, 27) => "convnext_large",
                _ => null,
            };
            return $"torchvision's {name ?? "ConvNeXt"} (stem width {width}, {third} blocks in the third stage{Classes("classifier.2.weight")})";
        }
        if (Has("features.0.0.weight") && Has("features.1.0.attn.qkv.weight"))
            return $"torchvision's Swin Transformer{Classes("head.weight")}, which Holdout does not build";
        if (Has("features.0.0.weight") && Has("features.1.0.block.0.0.weight"))
        {
            var stem = shapes["features.0.0.weight"][0];
            var head = shapes.TryGetValue("features.8.0.weight", out var h) ? h[0] : 0;
            var blocks = string.Join('-', Enumerable.Range(1, 7).Select(stage => Count(b => $"features.{stage}.{b}.block.0.0.weight")));
            var name = (stem, blocks, head) switch
            {
                (32, "1-2-2-3-3-4-1", 1280) => "efficientnet_b0",
                (32, "2-3-3-4-4-5-2", 1280) => "efficientnet_b1",
                (32, "2-3-3-4-4-5-2", 1408) => "efficientnet_b2",
                (40, _, 1536) => "efficientnet_b3",
                _ => null,
            };
            return $"torchvision's {name ?? "EfficientNet"} (stem width {stem}, blocks per stage {blocks}{Classes("classifier.1.weight")})";
        }
        if (Has("features.0.0.weight") && Has("features.1.block.0.0.weight"))
        {
            var last = Enumerable.Range(0, 40).LastOrDefault(i => Has($"features.{i}.0.weight") || Has($"features.{i}.block.0.0.weight"));
            var name = last switch
            {
                16 => "mobilenet_v3_large",
                12 => "mobilenet_v3_small",
                _ => null,
            };
            return $"torchvision's {name ?? "MobileNetV3"} ({last + 1} feature stages{Classes("classifier.3.weight")})";
        }
        if (Has("features.1.conv.0.0.weight")) return $"torchvision's mobilenet_v2{Classes("classifier.1.weight")}, which Holdout does not build";
        if (Has("features.conv0.weight")) return $"torchvision's DenseNet{Classes("classifier.weight")}, which Holdout does not build";
        if (Has("class_token") || Has("cls_token")) return "a Vision Transformer, which Holdout does not build";
        if (Has("features.0.weight") && Has("classifier.0.weight")) return "torchvision's VGG, which Holdout does not build";
        if (Has("conv_stem.weight")) return "timm's EfficientNet or MobileNet (conv_stem, blocks.*); Holdout reads torchvision's layout (features.*): load it with torchvision, or map the names";
        if (Has("stem.0.weight") && shapes.Keys.Any(k => k.StartsWith("stages.0.blocks.0.", StringComparison.Ordinal)))
            return "timm's ConvNeXt (stem.0, stages.*.blocks.*); Holdout reads torchvision's layout (features.*): load it with torchvision, or map the names";
        return null;
    }
}
