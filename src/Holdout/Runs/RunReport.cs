using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Reporting;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Builds a run's <c>report.html</c> from the files in its folder alone (config, split, history, test predictions,
/// Grad-CAM overlays of the top losses, batch preview, and the doctor's findings when <c>holdout doctor --run</c> has
/// examined the run), so <c>holdout report RUN</c> can regenerate it any time without the model or a GPU.
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

        var test = TestMetrics(files, config, manifest);
        var metrics = test?.Metrics;
        IReadOnlyList<TopLossExample> topLosses = test is { } t ? WithOverlays(TopLossExample.From(t.Metrics, t.Paths, TopLossOverlays.Count), files) : [];
        var (doctorFindings, doctorNote) = DoctorFindings(files);

        return new ReportData
        {
            Title = RunSettings.Title(config),
            Subtitle = $"run {Path.GetFileName(Path.GetFullPath(files.Folder).TrimEnd(Path.DirectorySeparatorChar))}",
            CreatedAt = config.Created,
            Configuration = RunSettings.Rows(config, summary),
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
            DoctorFindings = doctorFindings,
            DoctorNote = doctorNote,
            BatchPreviewPng = File.Exists(files.Preview) ? File.ReadAllBytes(files.Preview) : null,
            BatchPreviewCaption = "A training batch exactly as the model sees it (augmented, normalised, then mapped back to pixels).",
        };
    }

    /// <summary>
    /// The test metrics of the run's <c>predictions-test.csv</c>, with the path of each sample; null when the run has none.
    /// The per-sample losses are the run's own loss (label smoothing, class weights), so the report's loss is the one
    /// summary.json and the training table show, and its top losses are those <see cref="TopLossOverlays"/> explained.
    /// </summary>
    internal static (ClassificationMetrics Metrics, IReadOnlyList<string> Paths)? TestMetrics(RunFiles files, RunConfig config, SplitManifest? manifest)
    {
        if (!File.Exists(files.TestPredictions)) return null;
        var (classes, rows) = PredictionsCsv.Read(files.TestPredictions);
        using var loss = ClassificationLoss.For(RunSetup.TrainingOptionsFor(config.Options, manifest));
        int[] labels = [.. rows.Select(r => r.Label)];
        float[][] probabilities = [.. rows.Select(r => r.Probabilities)];
        var (sampleLosses, mean) = loss.OfProbabilities(labels, probabilities);
        return (ClassificationMetrics.Compute(labels, probabilities, classes, sampleLosses, mean), [.. rows.Select(r => r.Path)]);
    }

    /// <summary>The gallery with the Grad-CAM overlays kept in the run folder, where they belong to the same image and classes.</summary>
    private static List<TopLossExample> WithOverlays(IReadOnlyList<TopLossExample> gallery, RunFiles files)
    {
        var overlays = TopLossOverlays.Read(files.GradCam);
        return [.. gallery.Select(e => e.ImagePath is not null && overlays.TryGetValue(e.ImagePath, out var o) && o.TrueLabel == e.TrueLabel && o.PredictedLabel == e.PredictedLabel
            ? e with { PredictedOverlay = o.Predicted, TrueOverlay = o.True }
            : e)];
    }

    /// <summary>The findings of <c>doctor.json</c> and a note on when the doctor ran; (null, null) when it has not examined the run.</summary>
    private static (IReadOnlyList<ReportFinding>? Findings, string? Note) DoctorFindings(RunFiles files)
    {
        if (!File.Exists(files.Doctor)) return (null, null);
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(File.ReadAllText(files.Doctor));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new HoldoutException($"'{files.Doctor}' is not the document holdout doctor writes ({e.Message}). Run 'holdout doctor DATA --run {files.Folder}' again, or delete it.", e);
        }
        static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";
        var findings = (document?["findings"] as JsonArray ?? []).Select(f => new ReportFinding(Text(f?["severity"]), Text(f?["code"]), Text(f?["message"]),
            [.. (f?["evidence"] as JsonArray ?? []).Select(Text)], Text(f?["fix"]))).ToList();
        var note = "What 'holdout doctor --run' found in this run, most important first"
            + (Text(document?["created"]) is { Length: > 0 } created ? $" (examined {created})." : ".");
        return (findings, note);
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
