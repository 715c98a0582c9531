using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Reporting;
using Holdout.Training;

namespace Holdout.Runs;

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
    /// <param name="files">The run's files.</param>
    /// <exception cref="HoldoutException">The folder has no config.json, or a file is malformed.</exception>
    internal static ReportData Build(RunFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var config = RunConfig.Read(files.Config);
        var summary = File.Exists(files.Summary) ? JsonNode.Parse(File.ReadAllText(files.Summary))!.AsObject() : null;
        var manifest = File.Exists(files.Split) ? SplitManifest.Read(files.Split) : null;
        var history = File.Exists(files.History) ? HistoryCsv.Read(files.History) : [];

        ClassificationMetrics? metrics = null;
        IReadOnlyList<TopLossExample> topLosses = [];
        if (File.Exists(files.TestPredictions))
        {
            var (classes, rows) = PredictionsCsv.Read(files.TestPredictions);
            // The run's own loss (label smoothing, class weights), so the report's loss is the one summary.json and
            // the training table show.
            using var loss = ClassificationLoss.For(RunSetup.TrainingOptionsFor(config.Options, manifest));
            int[] labels = [.. rows.Select(r => r.Label)];
            float[][] probabilities = [.. rows.Select(r => r.Probabilities)];
            var (sampleLosses, mean) = loss.OfProbabilities(labels, probabilities);
            metrics = ClassificationMetrics.Compute(labels, probabilities, classes, sampleLosses, mean);
            topLosses = TopLossExample.From(metrics, [.. rows.Select(r => r.Path)], 16);
        }

        return new ReportData
        {
            Title = $"Holdout run {Path.GetFileName(Path.GetFullPath(files.Folder).TrimEnd(Path.DirectorySeparatorChar))}",
            CreatedAt = config.Created,
            Configuration = [.. config.Flatten(), .. EvaluationSize(summary)],
            ClassNames = manifest?.ClassNames ?? metrics?.ClassNames ?? [],
            Splits = manifest is null ? [] : SplitCounts(manifest),
            SkippedFiles = summary?["skipped"] is JsonArray skipped
                ? [.. skipped.Select(s => new SkippedFile(s!["path"]!.GetValue<string>(), s["reason"]!.GetValue<string>()))]
                : [],
            History = history,
            PhaseStarts = summary?["phases"] is JsonArray phases
                ? [.. phases.Skip(1).Where(p => p!["epochs_run"]!.GetValue<int>() > 0).Select(p => new PhaseStart(p!["name"]!.GetValue<string>(), p["first_epoch"]!.GetValue<int>()))]
                : [],
            BestEpoch = summary?["best_epoch"]?.GetValue<int>() is int best and > 0 ? best : null,
            Metrics = metrics,
            EvaluatedSplit = "test",
            TopLosses = topLosses,
            BatchPreviewPng = File.Exists(files.Preview) ? File.ReadAllBytes(files.Preview) : null,
            BatchPreviewCaption = "A training batch exactly as the model sees it (augmented, normalised, then mapped back to pixels).",
        };
    }

    /// <summary>The size the run evaluated at, and the validation losses it was chosen on (summary.json).</summary>
    private static IEnumerable<KeyValuePair<string, string>> EvaluationSize(JsonObject? summary)
    {
        if (summary?["eval_image_size"]?.GetValue<int>() is not int size) yield break;
        var losses = summary["eval_image_size_validation_loss"] is JsonObject candidates
            ? string.Join(", ", candidates.Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Value!.GetValue<double>():0.0000} at {c.Key} px")))
            : null;
        yield return new("evaluation.image_size", losses is null
            ? size.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{size} (chosen on validation loss: {losses})"));
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
}
