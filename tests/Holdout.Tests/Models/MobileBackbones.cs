using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;

namespace Holdout.Tests.Models;

/// <summary>
/// EfficientNet-B0 and MobileNetV3-Large classifiers with random weights, built as <see cref="ModelFactory"/>'s "none"
/// branch builds a ResNet (seeded, torchvision initialisation, a fresh head) but with the backbone's own spec, so the
/// tests do not depend on the factory's support for these architectures.
/// </summary>
internal static class MobileBackbones
{
    public static ImageClassifier Create(Architecture architecture, IReadOnlyList<string> classes, int size = 64, HeadOptions? head = null, long seed = 42)
    {
        NativeRuntime.EnsureInitialized();
        torch.manual_seed(seed);
        var features = architecture switch
        {
            Architecture.EfficientNetB0 => 1280,
            Architecture.MobileNetV3Large => 960,
            _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "not a mobile backbone"),
        };
        var spec = new BackboneSpec($"{OptionNames.Of(architecture)} torchvision layout", Preprocessing.ImageNetTorchvision(size), features,
            $"random initialisation (Kaiming-normal, seed {seed})", "n/a", null);
        return new ImageClassifier(new ModelOptions(architecture, classes, size, ModelOptions.NoWeights, head, seed), spec, null, isPretrained: false);
    }
}
