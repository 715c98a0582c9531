using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Metrics;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>The outcome of <see cref="RunEvaluation.Evaluate"/>: the metrics, what was evaluated, and every prediction.</summary>
/// <param name="Bundle">The model bundle (or exported ONNX file) that was evaluated.</param>
/// <param name="RunFolder">The run folder, or null when a bundle file was given.</param>
/// <param name="DataSource">Where the images came from: the run's <c>split.csv</c> or the given data.</param>
/// <param name="Split">The split evaluated, or null when every image of an unsplit dataset was.</param>
/// <param name="Paths">The evaluated images, in evaluation order (index i of <paramref name="Predictions"/>).</param>
/// <param name="Predictions">Class probabilities, true labels and the loss of every image.</param>
/// <param name="Metrics">Accuracy, loss, per-class metrics, confusion, ROC-AUC, calibration, most confused pairs.</param>
/// <param name="Skipped">Files of the given data that could not be read (none for the run's own split).</param>

public sealed record RunEvaluationResult(
    string Bundle,
    string? RunFolder,
    string DataSource,
    DataSplit? Split,
    IReadOnlyList<string> Paths,
    Predictions Predictions,
    ClassificationMetrics Metrics,
    IReadOnlyList<SkippedFile> Skipped)
{
    /// <summary>The run's <c>summary.json</c> accuracy for this split, when it evaluated the same images; null otherwise.</summary>
    public double? RecordedAccuracy { get; init; }

    /// <summary>The run's <c>summary.json</c> loss for this split, when it evaluated the same images; null otherwise.</summary>
    public double? RecordedLoss { get; init; }

    /// <summary>Writes every image's prediction as CSV (<c>path,label,predicted,p:&lt;class&gt;...</c>), like a run's <c>predictions-test.csv</c>; atomic.</summary>
    /// <param name="path">The CSV file to write.</param>
    public void WritePredictions(string path) => PredictionsCsv.Write(path, Metrics.ClassNames, Paths, Predictions);

    /// <summary>
    /// The evaluation as one JSON document: <c>run</c>, <c>bundle</c>, <c>data</c>, <c>split</c>, then every field of
    /// <see cref="ClassificationMetrics.ToJson"/> (<c>accuracy</c>, <c>loss</c> — the run's loss, as in summary.json —, <c>macro_f1</c>, <c>per_class</c>,
    /// <c>confusion</c>, <c>roc_auc</c>, <c>expected_calibration_error</c>, <c>most_confused</c>, ...), then
    /// <c>recorded</c> (summary.json's accuracy and loss, or null) and <c>skipped</c> (path and reason).
    /// </summary>
    /// <param name="indented">Indent the document. Defaults to true.</param>
    public string ToJson(bool indented = true)
    {
        var document = new JsonObject
        {
            ["run"] = RunFolder,
            ["bundle"] = Bundle,
            ["data"] = DataSource,
            ["split"] = Split?.ToName(),
        };
        foreach (var (key, value) in JsonNode.Parse(Metrics.ToJson())!.AsObject()) document[key] = value?.DeepClone();
        document["loss"] = Predictions.Loss;
        document["recorded"] = RecordedAccuracy is null ? null : new JsonObject { ["accuracy"] = RecordedAccuracy, ["loss"] = RecordedLoss };
        document["skipped"] = new JsonArray([.. Skipped.Select(s => (JsonNode)new JsonObject { ["path"] = s.Path, ["reason"] = s.Reason })]);
        return StrictJson.Write(document, indented ? StrictJson.ReadableIndented : StrictJson.ReadableCompact);
    }
}
