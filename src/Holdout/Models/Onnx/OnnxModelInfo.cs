using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Holdout.Imaging;

namespace Holdout.Models.Onnx;

/// <summary>
/// What an ONNX file written by <see cref="OnnxExport"/> says about itself in its <c>metadata_props</c>: the classes
/// in output order, the backbone and its preprocessing, and whether the input is normalised floats or 8-bit pixels.
/// </summary>
/// <param name="Path">The ONNX file.</param>
/// <param name="ClassNames">Class names in output order.</param>
/// <param name="Spec">The backbone, its preprocessing and where its weights came from.</param>
/// <param name="IncludesPreprocessing">True when the input is uint8 N x size x size x 3 RGB pixels normalised inside
/// the graph; false when it is the normalised float32 N x 3 x size x size tensor.</param>
/// <param name="Opset">The operator set the file uses (default domain).</param>
public sealed record OnnxModelInfo(string Path, IReadOnlyList<string> ClassNames, BackboneSpec Spec, bool IncludesPreprocessing, int Opset)
{
    /// <summary>The graph's input name.</summary>
    public const string InputName = "input";

    /// <summary>The graph's logits output name (N x classes).</summary>
    public const string LogitsName = "logits";

    /// <summary>The graph's probabilities output name (N x classes, softmax).</summary>
    public const string ProbabilitiesName = "probabilities";

    internal const string ClassNamesKey = "class_names";
    internal const string ImageSizeKey = "image_size";
    internal const string PreprocessingKey = "preprocessing";
    internal const string InputFormatKey = "input_format";
    internal const string BackboneKey = "backbone";
    internal const string FloatInput = "float32-nchw";
    internal const string PixelInput = "uint8-nhwc-rgb";

    /// <summary>How each image must be prepared (size, colour order, scale, mean, std, evaluation resize).</summary>
    public Preprocessing Preprocessing => Spec.Preprocessing;

    /// <summary>Reads the metadata of an ONNX file written by <see cref="OnnxExport"/> (the weights are not read).</summary>
    /// <param name="path">The ONNX file.</param>
    /// <exception cref="HoldoutException">The file is missing, not an ONNX model, or not one exported by Holdout.</exception>
    public static OnnxModelInfo Read(string path)
    {
        if (!File.Exists(path))
            throw new HoldoutException($"The ONNX model '{path}' does not exist. Expected a file written by 'holdout export'; check the path.");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        int opset = 0;
        try
        {
            using var stream = File.OpenRead(path);
            var input = new CodedInputStream(stream);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 8:
                        var (domain, version) = ReadPair(input.ReadBytes());
                        if (domain is "" or "ai.onnx") opset = int.Parse(version, CultureInfo.InvariantCulture);
                        break;
                    case 14:
                        var (key, value) = ReadPair(input.ReadBytes());
                        metadata[key] = value;
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException)
        {
            throw new HoldoutException($"The file '{path}' is not a readable ONNX model ({e.Message}). Expected a file written by 'holdout export'; the file may be damaged.", e);
        }
        if (!metadata.TryGetValue(ClassNamesKey, out var classes) || !metadata.TryGetValue(BackboneKey, out var backbone) ||
            !metadata.TryGetValue(InputFormatKey, out var format))
        {
            throw new HoldoutException(
                $"The ONNX model '{path}' has no Holdout metadata (class_names, backbone, input_format), so its classes and " +
                "preprocessing are unknown. Expected a file written by 'holdout export'; export the run or bundle again.");
        }
        try
        {
            var names = JsonNode.Parse(classes)!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
            var spec = BackboneSpec.FromJson(JsonNode.Parse(backbone)!.AsObject());
            if (format is not (FloatInput or PixelInput)) throw new FormatException($"input_format '{format}' is neither {FloatInput} nor {PixelInput}");
            return new OnnxModelInfo(path, names, spec, format == PixelInput, opset);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException or HoldoutException)
        {
            throw new HoldoutException(
                $"The ONNX model '{path}' has malformed Holdout metadata ({e.Message.TrimEnd('.')}). Expected the metadata 'holdout export' writes; export the run or bundle again.", e);
        }
    }

    /// <summary>
    /// Reads a message whose field 1 is a string and field 2 a string or a varint: StringStringEntryProto (key, value)
    /// and OperatorSetIdProto (domain, version).
    /// </summary>
    private static (string First, string Second) ReadPair(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string first = "", second = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: first = input.ReadString(); break;
                case 2:
                    second = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited
                        ? input.ReadString()
                        : input.ReadInt64().ToString(CultureInfo.InvariantCulture);
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return (first, second);
    }
}
