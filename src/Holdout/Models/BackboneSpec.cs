using System.Text.Json.Nodes;
using Holdout.Imaging;

namespace Holdout.Models;

/// <summary>
/// What a backbone is and how its input must be prepared. It travels with every model and every saved bundle; the
/// data loader takes its normalisation from <see cref="Preprocessing"/>, so no caller normalises by hand.
/// </summary>
/// <param name="Architecture">An honest name of the network, e.g. <c>resnet18-cntk (2-2-2-3)</c>.</param>
/// <param name="Preprocessing">Input size, colour order, value scale, per-channel mean and std.</param>
/// <param name="FeatureDimension">Length of the pooled feature vector the head reads (e.g. 512 for ResNet-18).</param>
/// <param name="WeightsSource">Where the weights came from (package and file, a user's file, or random initialisation).</param>
/// <param name="WeightsLicence">The licence of the weights, or "unknown" for a user's file.</param>
/// <param name="WeightsSha256">Lower-case hex SHA-256 of the weights file, or null when the weights are random.</param>
public sealed record BackboneSpec(
    string Architecture,
    Preprocessing Preprocessing,
    int FeatureDimension,
    string WeightsSource,
    string WeightsLicence,
    string? WeightsSha256)
{
    /// <summary>The spec as JSON (enums as names), as stored in bundles and run records.</summary>
    public JsonObject ToJson() => new()
    {
        ["architecture"] = Architecture,
        ["preprocessing"] = new JsonObject
        {
            ["input_size"] = Preprocessing.InputSize,
            ["color_order"] = Preprocessing.ColorOrder.ToString(),
            ["scale"] = Preprocessing.Scale.ToString(),
            ["mean"] = new JsonArray(Preprocessing.Mean.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            ["std"] = new JsonArray(Preprocessing.Std.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            ["eval_resize"] = Preprocessing.EvalResize.ToString(),
            ["eval_size"] = Preprocessing.EvaluationSize,
            ["eval_crop"] = Preprocessing.EvalCrop,
        },
        ["feature_dimension"] = FeatureDimension,
        ["weights_source"] = WeightsSource,
        ["weights_licence"] = WeightsLicence,
        ["weights_sha256"] = WeightsSha256,
    };

    /// <summary>Reads a spec written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The object written by <see cref="ToJson"/>.</param>
    /// <exception cref="HoldoutException">A field is missing or has the wrong type.</exception>
    public static BackboneSpec FromJson(JsonObject json)
    {
        try
        {
            var p = json["preprocessing"]!.AsObject();
            var preprocessing = new Preprocessing(
                p["input_size"]!.GetValue<int>(),
                Enum.Parse<ColorOrder>(p["color_order"]!.GetValue<string>()),
                Enum.Parse<ValueScale>(p["scale"]!.GetValue<string>()),
                p["mean"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
                p["std"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
                Enum.Parse<EvalResize>(p["eval_resize"]!.GetValue<string>()));
            // Written since 2026-12-03; older specs evaluate at the input size.
            preprocessing = preprocessing.WithEvaluationSize(p["eval_size"]?.GetValue<int>());
            // Written since 2026-12-07; older specs crop 0.875.
            if (p["eval_crop"] is { } crop) preprocessing = preprocessing with { EvalCrop = crop.GetValue<double>() };
            return new BackboneSpec(
                json["architecture"]!.GetValue<string>(),
                preprocessing,
                json["feature_dimension"]!.GetValue<int>(),
                json["weights_source"]!.GetValue<string>(),
                json["weights_licence"]!.GetValue<string>(),
                json["weights_sha256"]?.GetValue<string>());
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new HoldoutException(
                $"The backbone specification is incomplete or malformed ({e.Message}). Expected the fields written by " +
                "Holdout (architecture, preprocessing, feature_dimension, weights_source, weights_licence, weights_sha256); " +
                "re-create the file with Holdout.", e);
        }
    }
}
