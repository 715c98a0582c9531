using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Training;

namespace Holdout.Reporting;

/// <summary>
/// Builds a run's <c>report.html</c> from the files in its folder alone (config, split, history, test predictions,
/// batch preview), so <c>holdout report RUN</c> can regenerate it any time without the model or a GPU.
/// </summary>
public static class RunReport
{
    /// <summary>Writes <c>report.html</c> into the run folder (atomically) and returns its path.</summary>
    /// <param name="runFolder">A folder written by <c>holdout train</c>.</param>
    /// <exception cref="HoldoutException">A file the report needs is missing or malformed.</exception>
    public static string Write(string runFolder)
    {
        var files = new RunFiles(runFolder);
        HtmlReport.Write(files.Report, Build(files));
        return files.Report;
    }

    /// <summary>Reads the run folder into the report's data.</summary>
    public static ReportData Build(RunFiles files)
    {
        if (!File.Exists(files.Config))
            throw new HoldoutException($"'{files.Folder}' is not a run folder: it has no config.json. Pass a folder created by 'holdout train'.");
        var config = JsonNode.Parse(File.ReadAllText(files.Config))!.AsObject();
        var summary = File.Exists(files.Summary) ? JsonNode.Parse(File.ReadAllText(files.Summary))!.AsObject() : null;
        var manifest = File.Exists(files.Split) ? SplitManifest.Read(files.Split) : null;
        var history = File.Exists(files.History) ? HistoryCsv.Read(files.History) : [];

        ClassificationMetrics? metrics = null;
        IReadOnlyList<TopLossExample> topLosses = [];
        if (File.Exists(files.TestPredictions))
        {
            var (classes, rows) = PredictionsCsv.Read(files.TestPredictions);
            metrics = ClassificationMetrics.Compute([.. rows.Select(r => r.Label)], [.. rows.Select(r => r.Probabilities)], classes);
            topLosses = TopLossExample.From(metrics, [.. rows.Select(r => r.Path)], 16);
        }

        var configuration = new List<KeyValuePair<string, string>>();
        Flatten("", config, configuration);
        return new ReportData
        {
            Title = $"Holdout run {Path.GetFileName(Path.GetFullPath(files.Folder).TrimEnd(Path.DirectorySeparatorChar))}",
            CreatedAt = DateTimeOffset.TryParse(config["created"]?.GetValue<string>(), CultureInfo.InvariantCulture, out var created) ? created : null,
            Configuration = configuration,
            ClassNames = manifest?.ClassNames ?? metrics?.ClassNames ?? [],
            Splits = manifest is null ? [] : SplitCounts(manifest),
            SkippedFiles = summary?["skipped"] is JsonArray skipped
                ? [.. skipped.Select(s => new SkippedFile(s!["path"]!.GetValue<string>(), s["reason"]!.GetValue<string>()))]
                : [],
            History = history,
            BestEpoch = summary?["best_epoch"]?.GetValue<int>() is int best and > 0 ? best : null,
            Metrics = metrics,
            EvaluatedSplit = "test",
            TopLosses = topLosses,
            BatchPreviewPng = File.Exists(files.Preview) ? File.ReadAllBytes(files.Preview) : null,
            BatchPreviewCaption = "A training batch exactly as the model sees it (augmented, normalised, then mapped back to pixels).",
        };
    }

    private static List<SplitCounts> SplitCounts(SplitManifest manifest)
    {
        var counts = manifest.Counts();
        var result = new List<SplitCounts>();
        foreach (var split in new[] { DataSplit.Train, DataSplit.Validation, DataSplit.Test })
        {
            int column = (int)split;
            result.Add(new SplitCounts(split.ToString().ToLowerInvariant(), [.. Enumerable.Range(0, counts.GetLength(0)).Select(c => counts[c, column])]));
        }
        return result;
    }

    private static void Flatten(string prefix, JsonNode? node, List<KeyValuePair<string, string>> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o) Flatten(prefix.Length == 0 ? key : $"{prefix}.{key}", value, into);
                break;
            case JsonArray a:
                into.Add(new(prefix, a.ToJsonString()));
                break;
            case null:
                into.Add(new(prefix, "(default)"));
                break;
            default:
                into.Add(new(prefix, node.ToString()));
                break;
        }
    }
}
