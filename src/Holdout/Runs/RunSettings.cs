using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Reporting;

namespace Holdout.Runs;

/// <summary>
/// What the report says about a run's setup, from its <c>config.json</c> (and <c>summary.json</c>): the title (dataset
/// and model) and one row per setting. <c>config.json</c> records each option up to three times (<c>options.x</c> as
/// given, <c>options.effective_x</c> and <c>effective.x</c> as used); the report shows each setting once, with the value
/// the run used, and the given value beside it where the run chose another (<c>auto → bf16</c>).
/// </summary>
internal static class RunSettings
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Options of <c>config.json</c> that only restate others (derived from them), left out of the table.</summary>
    private static readonly HashSet<string> Derived = ["pretrained"];

    /// <summary>Parts of <c>config.json</c> folded into the option rows (or the title) rather than shown as their own rows.</summary>
    private static readonly HashSet<string> Folded = ["options", "effective", "seed", "precision_choice"];

    /// <summary>Backbone fields that repeat an option's row (the training and evaluation image sizes).</summary>
    private static readonly HashSet<string> RepeatedBackbone = ["backbone.preprocessing.input_size", "backbone.preprocessing.eval_size"];

    /// <summary>The page title: the dataset and the model, e.g. "beans · ResNet-18 fine-tune".</summary>
    /// <param name="config">The run's configuration.</param>
    public static string Title(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = config.Options;
        var data = config.Document["effective"]?["data"]?.GetValue<string>() ?? options.Data;
        var model = options.Model switch
        {
            Architecture.SimpleCnn => "simple CNN",
            Architecture.ResNet18 => "ResNet-18",
            Architecture.ResNet34 => "ResNet-34",
            Architecture.ResNet50 => "ResNet-50",
            Architecture.EfficientNetB0 => "EfficientNet-B0",
            Architecture.MobileNetV3Large => "MobileNetV3-Large",
            Architecture.ConvNeXtTiny => "ConvNeXt-Tiny",
            var other => OptionNames.Of(other),
        };
        var recipe = options.EffectiveRecipe switch
        {
            RecipeKind.FineTune => "fine-tune",
            RecipeKind.Frozen => "frozen backbone",
            RecipeKind.Scratch => "from scratch",
            var other => OptionNames.Of(other),
        };
        return $"{DatasetName(data)} · {model} {recipe}";
    }

    /// <summary>A short name for a dataset path: its folder's name, or a CSV manifest's name (the folder's for a <c>split.csv</c>).</summary>
    /// <param name="data">The data option as the run used it; null for an unknown dataset.</param>
    internal static string DatasetName(string? data)
    {
        if (string.IsNullOrWhiteSpace(data)) return "unknown data";
        var path = data.TrimEnd('/', '\\');
        if (!Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase)) return Path.GetFileName(path) is { Length: > 0 } name ? name : path;
        var stem = Path.GetFileNameWithoutExtension(path);
        return stem.Equals("split", StringComparison.OrdinalIgnoreCase) && Path.GetFileName(Path.GetDirectoryName(path)) is { Length: > 0 } folder ? folder : stem;
    }

    /// <summary>One row per setting: the options in their recorded order, then the other parts of <c>config.json</c>.</summary>
    /// <param name="config">The run's configuration.</param>
    /// <param name="summary">The run's <c>summary.json</c>, for the evaluation size it chose; null when there is none.</param>
    public static IReadOnlyList<ReportSetting> Rows(RunConfig config, JsonObject? summary)
    {
        ArgumentNullException.ThrowIfNull(config);
        var document = config.Document;
        var options = document["options"] as JsonObject ?? [];
        var effective = document["effective"] as JsonObject ?? [];
        var rows = new List<ReportSetting>();
        foreach (var (key, given) in options)
        {
            if (key.StartsWith("effective_", StringComparison.Ordinal) || Derived.Contains(key)) continue;
            var used = key switch
            {
                "epochs" when document["budget_plan"]?["epochs"] is { } planned => Text(planned),
                "precision" when effective["precision"] is { } chosen => document["precision_choice"]?["reason"] is { } reason ? $"{Text(chosen)} ({Text(reason)})" : Text(chosen),
                "eval_image_size" => EvaluationSize(summary),
                _ => (effective[key] ?? options[$"effective_{key}"]) is { } value ? Text(value) : null,
            };
            var givenText = given is null ? null : Text(given);
            rows.Add(used is null
                ? new ReportSetting(key, givenText ?? "(default)")
                : new ReportSetting(key, used, givenText is not null && givenText != used && !used.StartsWith(givenText + " (", StringComparison.Ordinal) ? givenText : null));
        }
        foreach (var (key, value) in effective)
            if (!options.ContainsKey(key)) rows.Add(new ReportSetting(key, value is null ? "(default)" : Text(value)));
        foreach (var (key, value) in document)
        {
            if (Folded.Contains(key)) continue;
            var shown = value;
            if (key == "budget_plan" && value is JsonObject plan)
            {
                shown = plan.DeepClone();
                shown.AsObject().Remove("epochs"); // in the epochs row
            }
            foreach (var (name, text) in RunConfig.Flatten(key, shown))
                if (!RepeatedBackbone.Contains(name)) rows.Add(new ReportSetting(name, text));
        }
        return rows;
    }

    /// <summary>The size the run evaluated at, and the validation losses it was chosen on (summary.json); null when not recorded.</summary>
    private static string? EvaluationSize(JsonObject? summary)
    {
        if (summary?["eval_image_size"]?.GetValue<int>() is not int size) return null;
        var losses = summary["eval_image_size_validation_loss"] is JsonObject candidates
            ? string.Join(", ", candidates.Select(c => string.Create(Invariant, $"{c.Value!.GetValue<double>():0.0000} at {c.Key} px")))
            : null;
        return losses is null ? size.ToString(Invariant) : string.Create(Invariant, $"{size} (chosen on validation loss: {losses})");
    }

    private static string Text(JsonNode node) => node switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray or JsonObject => StrictJson.Write(node, StrictJson.Compact),
        _ => node.ToString(),
    };
}
