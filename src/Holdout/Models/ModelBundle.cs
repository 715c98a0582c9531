using Holdout.Native;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>
/// Saves and loads a trained model as one self-describing file that needs nothing else to load: no dataset, no
/// pretrained file, no network.
/// </summary>
/// <remarks>
/// Format: a safetensors file (8-byte little-endian header length, JSON header, raw little-endian tensors) whose
/// tensors are the model's state dict (parameters and BatchNorm statistics, names <c>backbone.*</c> and
/// <c>head.*</c>) and whose <c>__metadata__</c> holds <c>format</c> = <c>holdout-model</c>, <c>holdout</c> = a JSON
/// description (format version, library version, model options, class names, head, backbone spec, ResNet layout,
/// the caller's metadata such as training options) and <c>content_sha256</c> = SHA-256 over the description's UTF-8
/// bytes, a canonical list of the tensors (name, dtype, shape, offsets) and the tensor bytes. Any changed byte is
/// therefore refused on load: in the data or the description by the hash, in the framing by the safetensors
/// checks. Any safetensors reader can open the weights.
/// </remarks>
public static class ModelBundle
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string FormatName = "holdout-model";

    /// <summary>
    /// The newest version of the description this library reads and writes: 2 since the evaluation size
    /// (<see cref="ImageClassifier.EvaluationSize"/>). A bundle whose evaluation size is its input size is still written as
    /// version 1, which older Holdouts read the same way.
    /// </summary>
    public const int FormatVersion = 2;

    /// <summary>The Holdout library version written into bundles.</summary>
    public static string LibraryVersion { get; } =
        typeof(ModelBundle).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ModelBundle).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (a reader sees the old file or the new one).</summary>
    /// <param name="path">The bundle file, e.g. <c>model.holdout</c>; folders are created.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="metadata">Anything to keep with it (training options, metrics, split manifest hash). Defaults to none.</param>
    public static void Save(string path, ImageClassifier model, JsonObject? metadata = null)
    {
        var description = Describe(model, metadata);
        var descriptionText = StrictJson.Write(description, StrictJson.Compact);
        IReadOnlyList<(SafeTensorsEntry Entry, byte[] Bytes)> tensors;
        using (var scope = NewDisposeScope())
        {
            tensors = SafeTensorsFile.Serialise(model.state_dict().Select(kv => (kv.Key, kv.Value)));
        }
        string hash;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(descriptionText));
            sha.AppendData(Encoding.UTF8.GetBytes(CanonicalIndex(tensors.Select(t => t.Entry))));
            foreach (var (_, bytes) in tensors) sha.AppendData(bytes);
            hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        var fileMetadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["holdout"] = descriptionText,
            ["content_sha256"] = hash,
        };
        AtomicFile.Write(path, stream => SafeTensorsFile.Write(stream, tensors, fileMetadata));
    }

    /// <summary>
    /// Reads a bundle written by <see cref="Save"/>: checks the framing, the content hash, and that every weight's name
    /// and shape fit the model the description builds. The model is returned in evaluation mode.
    /// </summary>
    /// <param name="path">The bundle file.</param>
    /// <exception cref="HoldoutException">The file is missing, not a bundle, damaged or modified, or its weights do not fit.</exception>
    public static LoadedBundle Load(string path)
    {
        NativeRuntime.EnsureInitialized();
        var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != FormatName)
        {
            throw new HoldoutException(
                $"The file '{path}' is a safetensors file but not a Holdout model bundle (its format entry is " +
                $"'{format ?? "missing"}', expected '{FormatName}'). Expected a file written by 'holdout train'.");
        }
        if (!file.Metadata.TryGetValue("holdout", out var descriptionText) || !file.Metadata.TryGetValue("content_sha256", out var recorded))
            throw Damaged(path, "its description or content hash is missing");

        string actual;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(descriptionText));
            sha.AppendData(Encoding.UTF8.GetBytes(CanonicalIndex(file.Entries)));
            using var stream = File.OpenRead(path);
            stream.Seek(file.DataStart, SeekOrigin.Begin);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
            actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        if (actual != recorded) throw Damaged(path, $"its content SHA-256 is {actual} but the bundle records {recorded}");

        JsonObject description;
        ModelOptions options;
        BackboneSpec spec;
        ResNetLayout? layout;
        bool isPretrained;
        string libraryVersion;
        BatchNormPolicy frozenBatchNorm;
        try
        {
            description = JsonNode.Parse(descriptionText)!.AsObject();
            var version = description["format_version"]!.GetValue<int>();
            if (version > FormatVersion)
            {
                throw new HoldoutException(
                    $"The model bundle '{path}' has format version {version}; this Holdout ({LibraryVersion}) reads up to " +
                    $"{FormatVersion}. Expected a bundle from this or an older Holdout; upgrade Holdout.");
            }
            libraryVersion = description["library_version"]!.GetValue<string>();
            var o = description["options"]!.AsObject();
            var h = o["head"]!.AsObject();
            options = new ModelOptions(
                Enum.Parse<Architecture>(o["architecture"]!.GetValue<string>()),
                o["class_names"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray(),
                o["image_size"]!.GetValue<int>(),
                o["weights"]!.GetValue<string>(),
                new HeadOptions(Enum.Parse<HeadPooling>(h["pooling"]!.GetValue<string>()), h["dropout"]!.GetValue<double>(), h["batch_norm"]!.GetValue<bool>()),
                o["seed"]!.GetValue<long>());
            spec = BackboneSpec.FromJson(description["spec"]!.AsObject());
            layout = description["layout"] is JsonObject l ? ResNetLayout.FromJson(l) : null;
            isPretrained = description["is_pretrained"]!.GetValue<bool>();
            frozenBatchNorm = Enum.Parse<BatchNormPolicy>(description["frozen_batch_norm"]!.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException or ArgumentException or HoldoutException)
        {
            // HoldoutException: the spec's own reader refused a field (e.g. an evaluation size that is not a number).
            throw Damaged(path, $"its description cannot be read ({e.Message.TrimEnd('.')})");
        }
        if (IsResNet(options.Architecture) != (layout is not null))
            throw Damaged(path, "its description's architecture and layout disagree");
        CheckFitsWeights(path, options, spec, layout, file.Entries);

        ImageClassifier model;
        try
        {
            model = new ImageClassifier(options, spec, layout, isPretrained) { FrozenBatchNorm = frozenBatchNorm };
        }
        catch (Exception e) when (e is not HoldoutException and not OperationCanceledException)
        {
            throw Damaged(path, $"the model it describes cannot be built ({e.Message})");
        }
        try
        {
            using var scope = NewDisposeScope();
            StateDictLoader.Load(model, file.ReadAll(), $"the model bundle '{path}'", _ => false,
                "Expected the weights the bundle's description says; the bundle was altered or written by an incompatible Holdout; re-save it.");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        var metadata = description["metadata"] is JsonObject m ? (JsonObject)m.DeepClone() : new JsonObject();
        return new LoadedBundle(model, metadata, libraryVersion, actual);
    }

    /// <summary>The largest input side a bundle may describe (a ResNet with a flattening head probes its feature size at that input).</summary>
    internal const int MaxImageSize = 2048;

    /// <summary>
    /// Refuses a description that does not fit the weights stored beside it, before anything is built. The content
    /// hash only proves the file was not changed by accident (anyone can recompute it), so the values that size
    /// the model (input size, classes, ResNet stages and widths, head) are compared with the tensors' shapes: a
    /// description can never make loading build more than the file's own weights justify.
    /// </summary>
    private static void CheckFitsWeights(string path, ModelOptions options, BackboneSpec spec, ResNetLayout? layout, IReadOnlyList<SafeTensorsEntry> entries)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var entry in entries) shapes[entry.Name] = entry.Shape;
        void Require(bool holds, string what)
        {
            if (!holds) throw Damaged(path, what);
        }
        void Expect(string name, params long[] expected)
        {
            var found = shapes.TryGetValue(name, out var shape) ? $"[{string.Join(',', shape)}]" : "no such weight";
            Require(shape is not null && shape.SequenceEqual(expected),
                $"its description implies the weight '{name}' of shape [{string.Join(',', expected)}], but the file has {found}");
        }

        var size = options.ImageSize;
        var prep = spec.Preprocessing;
        Require(size is >= 8 and <= MaxImageSize, $"its input size {size} is outside 8..{MaxImageSize} pixels");
        Require(prep.InputSize == size, $"its preprocessing's input size {prep.InputSize} differs from the model's {size}");
        Require(prep.EvaluationSize is >= 8 and <= MaxImageSize, $"its evaluation size {prep.EvaluationSize} is outside 8..{MaxImageSize} pixels");
        Require(prep.EvaluationSize == size || (options.Architecture != Architecture.SimpleCnn && options.EffectiveHead.Pooling == HeadPooling.Average),
            $"its evaluation size {prep.EvaluationSize} differs from the input size {size} of a head that flattens its map");
        Require(prep.Mean.Length == 3 && prep.Std.Length == 3 && prep.Mean.All(float.IsFinite) && prep.Std.All(s => float.IsFinite(s) && s != 0),
            "its preprocessing needs three finite means and three finite, non-zero standard deviations");
        Require(options.ClassNames.Count >= 1 && options.ClassNames.All(n => !string.IsNullOrEmpty(n)), "it names no classes, or an empty one");
        var head = options.EffectiveHead;
        Require(head.Dropout is >= 0 and < 1, $"its head dropout {head.Dropout} is outside [0, 1)");
        long classes = options.ClassNames.Count;
        if (options.Architecture == Architecture.SimpleCnn)
        {
            var features = SimpleCnnFeatures.FeatureDimension(size);
            Require(spec.FeatureDimension == features, $"its feature dimension {spec.FeatureDimension} is not the simple CNN's {features} at {size} pixels");
            Expect("head.fc1.weight", 128, features);
            Expect("head.fc2.weight", classes, 128);
            return;
        }
        if (layout is null)
        {
            // A fixed architecture (EfficientNet-B0, MobileNetV3-Large, ConvNeXt-Tiny): nothing in the description sizes
            // the backbone, and loading compares every tensor's name and shape with it.
            var dimension = Backbones.BackboneCatalog.FeatureDimension(options.Architecture);
            Require(spec.FeatureDimension == dimension, $"its feature dimension {spec.FeatureDimension} is not {OptionNames.Of(options.Architecture)}'s {dimension}");
            Require(shapes.TryGetValue("head.fc.weight", out var fixedHead) && fixedHead.Length == 2 && fixedHead[0] == classes
                    && (head.Pooling != HeadPooling.Average || fixedHead[1] == dimension),
                $"its head's weight does not match {classes} classes on {dimension} features");
            return;
        }
        Require(layout.Blocks.Length == 4 && layout.Widths.Length == 4, "its ResNet layout does not have 4 stages");
        Expect("backbone.conv1.weight", layout.StemWidth, 3, 7, 7);
        Require(shapes.ContainsKey("backbone.layer1.0.conv3.weight") == layout.Bottleneck,
            $"its layout says {(layout.Bottleneck ? "bottleneck" : "basic")} blocks but the weights are of the other kind");
        for (var stage = 0; stage < 4; stage++)
        {
            // Count the blocks the file holds (bounded by the file), then compare: never loop over a claimed count.
            var present = 0;
            while (shapes.TryGetValue($"backbone.layer{stage + 1}.{present}.conv1.weight", out var conv))
            {
                Require(conv.Length == 4 && conv[0] == layout.Widths[stage],
                    $"its layout gives stage {stage + 1} a width of {layout.Widths[stage]}, but block {present}'s first convolution has {(conv.Length > 0 ? conv[0] : 0)} channels");
                present++;
            }
            Require(present == layout.Blocks[stage], $"its layout gives stage {stage + 1} {layout.Blocks[stage]} blocks, but the file holds {present}");
        }
        Require(spec.FeatureDimension == layout.FeatureDimension, $"its feature dimension {spec.FeatureDimension} is not its layout's {layout.FeatureDimension}");
        Require(shapes.TryGetValue("head.fc.weight", out var fc) && fc.Length == 2 && fc[0] == classes
                && (head.Pooling != HeadPooling.Average || fc[1] == layout.FeatureDimension),
            $"its head's weight does not match {classes} classes on {(head.Pooling == HeadPooling.Average ? layout.FeatureDimension.ToString(System.Globalization.CultureInfo.InvariantCulture) : "its pooled")} features");
    }

    private static bool IsResNet(Architecture architecture) =>
        architecture is Architecture.ResNet18 or Architecture.ResNet34 or Architecture.ResNet50;

    private static JsonObject Describe(ImageClassifier model, JsonObject? metadata)
    {
        var options = model.Options;
        var head = options.EffectiveHead;
        return new JsonObject
        {
            ["format_version"] = model.Spec.Preprocessing.EvalSize is null ? 1 : FormatVersion,
            ["library_version"] = LibraryVersion,
            ["options"] = new JsonObject
            {
                ["architecture"] = options.Architecture.ToString(),
                ["class_names"] = new JsonArray(model.ClassNames.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["image_size"] = options.ImageSize,
                ["weights"] = options.Weights,
                ["head"] = new JsonObject
                {
                    ["pooling"] = head.Pooling.ToString(),
                    ["dropout"] = head.Dropout,
                    ["batch_norm"] = head.BatchNorm,
                },
                ["seed"] = options.Seed,
            },
            ["spec"] = model.Spec.ToJson(),
            ["layout"] = model.Layout?.ToJson(),
            ["is_pretrained"] = model.IsPretrained,
            ["frozen_batch_norm"] = model.FrozenBatchNorm.ToString(),
            ["metadata"] = metadata?.DeepClone(),
        };
    }

    private static string CanonicalIndex(IEnumerable<SafeTensorsEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var e in entries)
            text.Append(e.Name).Append('\n').Append(e.DType).Append('\n').AppendJoin(',', e.Shape).Append('\n')
                .Append(e.Begin).Append('\n').Append(e.End).Append('\n');
        return text.ToString();
    }

    private static HoldoutException Damaged(string path, string what) => new(
        $"The model bundle '{path}' is damaged or was modified: {what}. Expected an unmodified file written by " +
        "Holdout; restore it from a copy or train again.");
}
