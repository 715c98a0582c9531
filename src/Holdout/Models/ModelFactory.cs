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
    /// stages 2-2-2-3, BGR 0..255 input), "none" (random), or a torchvision-format .safetensors file (any ResNet;
    /// torchvision's fc.* classifier in the file is ignored).</param>
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
            _ => ResNetLayout.TorchVision50,
        };
        var cliName = OptionNames.Of(options.Architecture);

        if (bundled)
        {
            if (options.Architecture != Architecture.ResNet18)
            {
                throw new HoldoutException(
                    $"There are no bundled weights for {cliName}; only resnet18 ships with offline ImageNet weights. " +
                    $"Pass a torchvision {cliName} state dict saved as .safetensors with --weights <file>, or use --weights none.");
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
            var spec = new BackboneSpec(layout.Description + " torchvision layout", Preprocessing.Scratch(size), layout.FeatureDimension,
                "random initialisation (Kaiming-normal, seed " + options.Seed + ")", "n/a", null);
            return new ImageClassifier(options, spec, layout, isPretrained: false);
        }

        var file = SafeTensorsFile.Open(weights);
        string sha256;
        using (var stream = File.OpenRead(weights)) sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        var fileSpec = new BackboneSpec(layout.Description + " torchvision layout", Preprocessing.ImageNetTorchvision(size),
            layout.FeatureDimension, Path.GetFullPath(weights), "unknown (as provided by the user)", sha256);
        var fromFile = new ImageClassifier(options, fileSpec, layout, isPretrained: true);
        using (var scope = NewDisposeScope())
        {
            StateDictLoader.Load(fromFile.Backbone, file.ReadAll(), $"'{weights}'",
                name => name.StartsWith("fc.", StringComparison.Ordinal),
                $"Expected a torchvision {cliName} state dict (names like conv1.weight, layer1.0.conv1.weight) saved as " +
                $".safetensors; check that the file is for {cliName}.");
        }
        return fromFile;
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
            throw new HoldoutException("No weights were given. Expected 'bundled', 'none' or the path of a .safetensors file.");
    }
}
