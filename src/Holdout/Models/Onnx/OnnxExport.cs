using System.Text.Json.Nodes;

namespace Holdout.Models.Onnx;

/// <summary>
/// Writes a trained <see cref="ImageClassifier"/> as a standard ONNX model that ONNX Runtime (or any ONNX runtime)
/// runs without Holdout, Python or TorchSharp.
/// </summary>
/// <remarks>
/// <para>The graph is the model in evaluation mode: every BatchNorm is folded into the convolution (or, for a head
/// with BatchNorm, the linear layer) beside it, dropout is gone, and the bundled CNTK ResNet-18's asymmetric stride-2
/// padding is written as ONNX's asymmetric pads. The batch dimension is dynamic (<c>batch</c>); the image size is
/// fixed to the model's evaluation size (<see cref="Imaging.Preprocessing.EvaluationSize"/>).</para>
/// <para>Input <c>input</c>: float32 N x 3 x size x size in the backbone's own convention (e.g. BGR, 0..255 minus the
/// channel means for the bundled ResNet-18; RGB, 0..1, ImageNet mean and std for torchvision weights), or, with
/// <see cref="OnnxExportOptions.WithPreprocessing"/>, uint8 N x size x size x 3 RGB pixels. Outputs <c>logits</c> and
/// <c>probabilities</c> (softmax), both N x classes.</para>
/// <para><c>metadata_props</c>: <c>class_names</c> (JSON array, output order), <c>image_size</c>,
/// <c>preprocessing</c> (JSON: input_size, color_order, scale, mean, std, eval_resize, eval_size), <c>input_format</c>
/// (<c>float32-nchw</c> or <c>uint8-nhwc-rgb</c>), <c>backbone</c> (the full <see cref="BackboneSpec"/> JSON: weights
/// source and licence), <c>architecture</c> and <c>holdout_version</c>. <see cref="OnnxModelInfo.Read"/> reads them back.</para>
/// </remarks>
/// <example>
/// <code>
/// using var model = ModelBundle.Load("runs/my-run/best.holdout").Model;
/// OnnxExport.Save(model, "model.onnx", new OnnxExportOptions(WithPreprocessing: true));
/// </code>
/// </example>
public static class OnnxExport
{
    /// <summary>The operator set written by default: 17 (ONNX 1.12, IR version 8).</summary>
    public const int DefaultOpset = 17;

    /// <summary>The oldest operator set the exporter writes: 11.</summary>
    public const int MinimumOpset = 11;

    /// <summary>The newest operator set the exporter writes: 21.</summary>
    public const int MaximumOpset = 21;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> as an ONNX model, atomically (a reader sees the old file or the new one).</summary>
    /// <param name="model">The trained classifier (its weights and BatchNorm statistics are read; the model is not changed).</param>
    /// <param name="path">The file to write, e.g. <c>model.onnx</c>; folders are created.</param>
    /// <param name="options">Operator set and input layout. Defaults to <see cref="OnnxExportOptions"/>'s defaults.</param>
    /// <exception cref="HoldoutException">The operator set is out of range.</exception>
    public static void Save(ImageClassifier model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var encoded = Encode(model, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, stream => stream.Write(encoded.Span));
    }

    /// <summary>The ModelProto bytes of <paramref name="model"/>.</summary>
    internal static ReadOnlyMemory<byte> Encode(ImageClassifier model, OnnxExportOptions options)
    {
        options.Validate();
        var preprocessing = model.Spec.Preprocessing;
        if (preprocessing.InputSize != model.Options.ImageSize)
        {
            throw new HoldoutException(
                $"The model's image size ({model.Options.ImageSize}) and its preprocessing's input size ({preprocessing.InputSize}) differ. " +
                "Expected one size; re-create the model with ModelFactory or ModelBundle.Load.");
        }
        var graph = ClassifierGraph.Build(model, options.WithPreprocessing, options.Opset);
        var size = preprocessing.EvaluationSize;
        var description = $"Holdout image classifier: {model.Spec.Architecture}, {model.ClassNames.Count} classes " +
                          $"({string.Join(", ", model.ClassNames)}), {size} x {size} input" +
                          (options.WithPreprocessing ? " (uint8 RGB pixels, normalised inside the graph)." : " (normalised float32 NCHW).");
        var message = new ProtobufMessage()
            .Int64(1, IrVersion(options.Opset))
            .String(2, "Holdout")
            .String(3, ModelBundle.LibraryVersion)
            .Int64(5, 1)
            .String(6, description)
            .Message(7, graph.ToMessage("holdout-" + OptionNames.Of(model.Options.Architecture), description))
            .Message(8, new ProtobufMessage().String(1, "").Int64(2, options.Opset));
        foreach (var (key, value) in Metadata(model, options.WithPreprocessing))
            message.Message(14, new ProtobufMessage().String(1, key).String(2, value));
        return message.ToMemory();
    }

    /// <summary>The oldest IR version that carries <paramref name="opset"/> (ONNX's release table).</summary>
    internal static long IrVersion(int opset) => opset switch
    {
        <= 11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    private static IEnumerable<(string Key, string Value)> Metadata(ImageClassifier model, bool withPreprocessing)
    {
        var spec = model.Spec.ToJson();
        yield return (OnnxModelInfo.ClassNamesKey, StrictJson.Write(new JsonArray([.. model.ClassNames.Select(n => (JsonNode)JsonValue.Create(n))]), StrictJson.Compact));
        yield return (OnnxModelInfo.ImageSizeKey, model.Spec.Preprocessing.EvaluationSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return (OnnxModelInfo.PreprocessingKey, StrictJson.Write(spec["preprocessing"], StrictJson.Compact));
        yield return (OnnxModelInfo.InputFormatKey, withPreprocessing ? OnnxModelInfo.PixelInput : OnnxModelInfo.FloatInput);
        yield return (OnnxModelInfo.BackboneKey, StrictJson.Write(spec, StrictJson.Compact));
        yield return ("architecture", OptionNames.Of(model.Options.Architecture));
        yield return ("holdout_version", ModelBundle.LibraryVersion);
    }
}
