using Holdout.Native;
using Holdout.Imaging;
using Holdout.Models.Onnx;
using Holdout.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>Builds an <see cref="ImageClassifier"/> from <see cref="ModelOptions"/>: architecture, weights and head.</summary>
public static class ModelFactory
{
    /// <summary>The source line written into the spec of the bundled ResNet-18.</summary>
    internal const string BundledResNet18Source =
        "NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, DnnImageModels/ResNet18Onnx/ResNet18.onnx (CNTK 2.6 ImageNet export)";

    /// <summary>
    /// Starts importing the bundled ResNet-18 on a worker thread when <paramref name="architecture"/> and
    /// <paramref name="weights"/> will need it (about a second of parsing on one core), so it overlaps other start-up
    /// work such as reading the data; <see cref="Create(ModelOptions)"/> then joins or reuses that import. Keep the
    /// returned task referenced until the model is built. It never throws: a failed import is retried, and reported,
    /// by <see cref="Create(ModelOptions)"/>.
    /// </summary>
    internal static Task<object?> PrefetchWeights(Architecture architecture, string weights)
    {
        if (architecture != Architecture.ResNet18 || !string.Equals(weights, ModelOptions.BundledWeights, StringComparison.OrdinalIgnoreCase))
            return Task.FromResult<object?>(null);
        return Task.Run<object?>(() =>
        {
            try
            {
                return CntkResNetImport.Load(PretrainedCatalog.ResNet18OnnxPath);
            }
            catch (Exception e) when (e is HoldoutException or IOException or UnauthorizedAccessException)
            {
                return null;
            }
        });
    }

    /// <summary>
    /// Builds a classifier. New layers (the head, and everything when weights are "none") are initialised from
    /// <see cref="ModelOptions.Seed"/> (the engine's global generator is re-seeded with it), so the same options give
    /// the same model.
    /// </summary>
    /// <param name="options">What to build. Weights: "bundled" (ResNet-18 only: the offline CNTK ImageNet export,
    /// stages 2-2-2-3, BGR 0..255 input), "none" (random), or a torchvision state dict of the architecture as
    /// <c>.safetensors</c> or <c>.pth</c> (torch.save, read without running any pickle code; see
    /// <see cref="WeightsFile"/>); torchvision's classifier in the file (<c>fc.*</c>, <c>classifier.*</c>) is ignored.</param>
    /// <exception cref="HoldoutException">The options are invalid, or the weights are missing or do not fit.</exception>
    public static ImageClassifier Create(ModelOptions options) => Create(options, null);

    internal static ImageClassifier Create(ModelOptions options, CntkResNetImport? preloaded)
    {
        NativeRuntime.EnsureInitialized();
        Validate(options);
        torch.manual_seed(options.Seed);
        var size = options.ImageSize;
        var weights = options.Weights;
        var bundled = string.Equals(weights, ModelOptions.BundledWeights, StringComparison.OrdinalIgnoreCase);
        var none = string.Equals(weights, ModelOptions.NoWeights, StringComparison.OrdinalIgnoreCase);

        if (options.Architecture == Architecture.SimpleCnn)
        {
            if (!none)
            {
                throw new HoldoutException(
                    $"The simple CNN trains from scratch, but weights '{weights}' were given. Expected --weights none " +
                    "with --model simple-cnn; for pretrained weights use --model resnet18 --weights bundled.");
            }
            var spec = new BackboneSpec("simple-cnn (Keras seed: conv32-conv64-maxpool-dense128)", Preprocessing.Scratch(size),
                (int)SimpleCnnFeatures.FeatureDimension(size), "random initialisation (Glorot-uniform, seed " + options.Seed + ")", "n/a", null);
            return new ImageClassifier(options, spec, null, isPretrained: false);
        }

        var layout = options.Architecture switch
        {
            Architecture.ResNet18 => ResNetLayout.TorchVision18,
            Architecture.ResNet34 => ResNetLayout.TorchVision34,
            Architecture.ResNet50 => ResNetLayout.TorchVision50,
            _ => null,
        };
        var cliName = OptionNames.Of(options.Architecture);

        if (bundled)
        {
            if (options.Architecture != Architecture.ResNet18)
            {
                throw new HoldoutException(
                    $"There are no bundled weights for {cliName}; only resnet18 ships with offline ImageNet weights. " +
                    $"Pass torchvision's {cliName} weights (a .pth or .safetensors state dict) with --weights <file>, or use --weights none.");
            }
            var import = preloaded ?? CntkResNetImport.Load(PretrainedCatalog.ResNet18OnnxPath);
            var cntkLayout = import.Layout with { Name = "resnet18-cntk" };
            var spec = new BackboneSpec(cntkLayout.Description, Preprocessing.CntkResNet(size), cntkLayout.FeatureDimension,
                BundledResNet18Source, "MIT", import.Sha256);
            var model = new ImageClassifier(options, spec, cntkLayout, isPretrained: true);
            using (var scope = NewDisposeScope())
            {
                var tensors = import.Weights.ToDictionary(kv => kv.Key, kv => tensor(kv.Value.Data, kv.Value.Dims));
                StateDictLoader.Load(model.Backbone, tensors, $"the ONNX model '{import.Path}'", _ => false,
                    "The importer and the backbone disagree; this is a bug in Holdout, please report it.");
            }
            return model;
        }

        if (none)
        {
            var description = layout is null ? cliName + " torchvision layout" : layout.Description + " torchvision layout";
            var init = options.Architecture switch
            {
                Architecture.ConvNeXtTiny => "truncated-normal std 0.02",
                Architecture.EfficientNetB0 or Architecture.MobileNetV3Large => "Kaiming-normal convolutions, torchvision's",
                _ => "Kaiming-normal",
            };
            var random = new ImageClassifier(options, SpecFor(options, layout, description, Preprocessing.Scratch(size),
                $"random initialisation ({init}, seed {options.Seed})", "n/a", null), layout, isPretrained: false);
            return random;
        }

        return FromFile(options, layout, cliName);
    }

    /// <summary>A model whose backbone is read from a torchvision state dict (.safetensors or .pth).</summary>
    private static ImageClassifier FromFile(ModelOptions options, ResNetLayout? layout, string cliName)
    {
        var weights = options.Weights;
        if (!File.Exists(weights))
        {
            throw new HoldoutException(
                $"The weights file '{weights}' does not exist. Expected 'bundled' (resnet18), 'none', or torchvision's {cliName} state dict as a .pth or .safetensors file; check the path.");
        }
        string sha256;
        using (var stream = File.OpenRead(weights)) sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        var description = (layout?.Description ?? cliName) + " torchvision layout";
        var preprocessing = Preprocessing.ImageNetTorchvision(options.ImageSize, Backbones.BackboneCatalog.EvalCrop(options.Architecture));
        var spec = SpecFor(options, layout, description, preprocessing, Path.GetFullPath(weights), "unknown (as provided by the user)", sha256);
        // Built outside the dispose scope that holds the file's tensors: the model's own tensors must outlive it.
        var model = new ImageClassifier(options, spec, layout, isPretrained: true);
        try
        {
            using var scope = NewDisposeScope();
            var tensors = WeightsFile.ReadStateDict(weights);
            var backbone = model.Net!;
            StateDictLoader.Load(backbone, tensors, $"'{weights}'", backbone.IsClassifierKey,
                $"Expected torchvision's {cliName} state dict ({ArchitectureGuess.ExampleKeys(options.Architecture)}) as .pth or .safetensors. " +
                ArchitectureGuess.Describe(tensors) + $" Check that the file is for {cliName}, or pass the --model it was saved from.");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    private static BackboneSpec SpecFor(ModelOptions options, ResNetLayout? layout, string description, Preprocessing preprocessing,
        string source, string licence, string? sha256)
    {
        long features = layout?.FeatureDimension ?? Backbones.BackboneCatalog.FeatureDimension(options.Architecture);
        return new BackboneSpec(description, preprocessing, (int)features, source, licence, sha256);
    }

    private static void Validate(ModelOptions options)
    {
        if (options.ClassNames.Count < 2)
            throw new HoldoutException($"A classifier needs at least 2 classes, got {options.ClassNames.Count}. Expected one folder per class.");
        var duplicate = options.ClassNames.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HoldoutException($"The class name '{duplicate.Key}' appears twice. Expected distinct class names.");
        var minimum = options.Architecture == Architecture.SimpleCnn ? 6 : 32;
        if (options.ImageSize < minimum || options.ImageSize > 2048)
            throw new HoldoutException(
                $"The image size {options.ImageSize} is out of range for {OptionNames.Of(options.Architecture)}. Expected {minimum}..2048 pixels (e.g. 224).");
        var head = options.EffectiveHead;
        if (head.Dropout is < 0 or >= 1 || double.IsNaN(head.Dropout))
            throw new HoldoutException($"The head dropout {head.Dropout} is out of range. Expected a probability in [0, 1).");
        if (string.IsNullOrWhiteSpace(options.Weights))
            throw new HoldoutException("No weights were given. Expected 'bundled', 'none' or the path of a .pth or .safetensors file.");
    }
}
