using Holdout.Imaging;
using Holdout.Models;
using Holdout.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>ConvNeXt-Tiny classifiers for tests, built as ModelFactory's random-weights branch builds a model.</summary>
internal static class ConvNeXtTestModels
{
    /// <summary>A ConvNeXt-Tiny classifier with torchvision's random initialisation (seeded).</summary>
    public static ImageClassifier Create(IReadOnlyList<string> classes, int size = 64, long seed = 42)
    {
        NativeRuntimeInit();
        var options = new ModelOptions(Architecture.ConvNeXtTiny, classes, size, ModelOptions.NoWeights, Seed: seed);
        torch.manual_seed(seed);
        var spec = new BackboneSpec("convnext-tiny torchvision layout", Preprocessing.Scratch(size), (int)768,
            $"random initialisation (truncated normal, seed {seed})", "n/a", null);
        return new ImageClassifier(options, spec, null, isPretrained: false);
    }

    /// <summary>
    /// The backbone of <paramref name="model"/> with every LayerNorm's affine parameters redrawn (weight 0.75..1.25,
    /// bias N(0, 0.1)) and every layer scale drawn from 0.1..0.5, as make_torchvision_fixture.py does, so that the
    /// blocks matter (torchvision starts the layer scale at 1e-6) and every tensor is exercised.
    /// </summary>
    public static ImageClassifier Perturbed(ImageClassifier model, long seed = 7)
    {
        var generator = new Generator((ulong)seed);
        var norms = model.Backbone.named_modules().Where(m => m.module is LayerNorm2d or TorchSharp.Modules.LayerNorm).Select(m => m.name).ToHashSet(StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.Backbone.named_parameters())
        {
            if (name.EndsWith("layer_scale", StringComparison.Ordinal))
                parameter.copy_(0.1 + 0.4 * rand(parameter.shape, generator: generator));
            else if (parameter.dim() == 1 && norms.Contains(name[..name.LastIndexOf('.')]) && name.EndsWith(".weight", StringComparison.Ordinal))
                parameter.copy_(0.75 + 0.5 * rand(parameter.shape, generator: generator));
            else if (parameter.dim() == 1 && norms.Contains(name[..name.LastIndexOf('.')]))
                parameter.copy_(0.1 * randn(parameter.shape, generator: generator));
        }
        return model;
    }

    /// <summary>
    /// <paramref name="model"/> with its head's output layer drawn at random (N(0, 1/features)): a new head starts
    /// with zero output weights (the class priors), so no gradient would reach the backbone and every logit would be the same.
    /// </summary>
    public static ImageClassifier WithRandomOutput(ImageClassifier model, long seed = 11)
    {
        var output = model.named_parameters().Last(p => p.name.StartsWith("head.", StringComparison.Ordinal) && p.parameter.dim() == 2).parameter;
        using var noGrad = no_grad();
        output.copy_(randn(output.shape, generator: new Generator((ulong)seed)).div_(Math.Sqrt(output.shape[1])));
        return model;
    }

    private static void NativeRuntimeInit() => Holdout.Native.NativeRuntime.EnsureInitialized();
}
