using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class RunEvaluationTests
{
    public RunEvaluationTests() => NativeRuntime.EnsureInitialized();

    [Fact]
    public void Should_reproduce_every_split_of_summary_json_exactly()
    {
        // Given a finished tiny run and its summary.json
        var summary = JsonNode.Parse(File.ReadAllText(TinyRun.Result.Files.Summary))!.AsObject();

        foreach (var (split, key) in new[] { (DataSplit.Train, "train"), (DataSplit.Validation, "val"), (DataSplit.Test, "test") })
        {
            // When the run is evaluated on that split of its own split.csv, in a fresh model loaded from best.holdout
            var result = RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder, Split: split));

            // Then accuracy, loss and macro-F1 are the recorded ones exactly, and the recorded values are reported beside them
            var recorded = summary[key]!;
            Assert.Equal(recorded["images"]!.GetValue<int>(), result.Metrics.SampleCount);
            Assert.Equal(recorded["accuracy"]!.GetValue<double>(), result.Metrics.Accuracy);
            Assert.Equal(recorded["loss"]!.GetValue<double>(), result.Predictions.Loss);
            Assert.Equal(recorded["accuracy"]!.GetValue<double>(), result.RecordedAccuracy);
            Assert.Equal(recorded["loss"]!.GetValue<double>(), result.RecordedLoss);
            Assert.Equal(split, result.Split);
            if (split == DataSplit.Test) Assert.Equal(summary["test"]!["macro_f1"]!.GetValue<double>(), result.Metrics.MacroF1);
        }
    }

    [Fact]
    public void Should_give_the_same_probabilities_as_the_runs_test_predictions_file_in_the_same_order()
    {
        // Given the run's predictions-test.csv
        var (_, rows) = PredictionsCsv.Read(TinyRun.Result.Files.TestPredictions);

        // When the run's test split is evaluated
        var result = RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder));

        // Then the images come in the same order with bit-identical probabilities and the same labels
        Assert.Equal(rows.Select(r => Path.GetFullPath(r.Path)), result.Paths.Select(Path.GetFullPath));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Label, result.Predictions.Labels[i]);
            Assert.Equal(rows[i].Probabilities, result.Predictions.Probabilities[i]);
        }
    }

    [Fact]
    public void Should_evaluate_every_image_of_another_folder_with_the_same_classes()
    {
        // Given a new, unsplit folder of the same three classes
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 5, name: "fresh");

        // When the run is evaluated on it
        var result = RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder, Data: data));

        // Then every image is evaluated, labels follow the model's class order, and nothing is compared with summary.json
        Assert.Equal(15, result.Metrics.SampleCount);
        Assert.Null(result.Split);
        Assert.Null(result.RecordedAccuracy);
        Assert.Equal(TinyRun.Result.Split.ClassNames, result.Metrics.ClassNames);
        Assert.All(result.Metrics.PerClass, c => Assert.Equal(5, c.Support));
        var json = JsonNode.Parse(result.ToJson())!.AsObject();
        foreach (var key in new[] { "accuracy", "loss", "per_class", "macro_f1", "confusion", "expected_calibration_error", "most_confused", "roc_auc" })
            Assert.True(json.ContainsKey(key), $"the JSON lacks {key}");
        Assert.Equal(result.Metrics.Accuracy, json["accuracy"]!.GetValue<double>());

        // And a --split does not apply to an unsplit folder
        var error = Assert.Throws<HoldoutException>(() => RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder, Data: data, Split: DataSplit.Test)));
        Assert.Contains("not split", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_data_with_other_classes_listing_both_sets()
    {
        // Given a folder whose classes are red, green and purple
        using var temp = new TempFolder();
        foreach (var (name, seed) in new[] { ("red", 1), ("green", 2), ("purple", 3) })
            temp.Write(Path.Combine("other", name, "a.png"), TestImages.Png(seed));

        // When the run (classes blue, green, red) is evaluated on it
        var error = Assert.Throws<HoldoutException>(() => RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder, Data: Path.Combine(temp.Path, "other"))));

        // Then the error lists both sets and what differs
        Assert.Contains("(green, purple, red)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(blue, green, red)", error.Message, StringComparison.Ordinal);
        Assert.Contains("not classes of the model: purple", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing from the data: blue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_need_data_for_a_bundle_and_name_a_folder_that_is_not_a_run()
    {
        // Given a bundle file and an empty folder
        using var temp = new TempFolder();

        // When either is evaluated without --data
        var bundle = Assert.Throws<HoldoutException>(() => RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Result.Files.Best)));
        var empty = Assert.Throws<HoldoutException>(() => RunEvaluation.Evaluate(new RunEvaluationOptions(temp.Path)));

        // Then the messages say what to pass
        Assert.Contains("--data", bundle.Message, StringComparison.Ordinal);
        Assert.Contains("not a run folder", empty.Message, StringComparison.Ordinal);

        // And the bundle with data works, on the run's split.csv, giving the run's test accuracy
        var result = RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Result.Files.Best, Data: TinyRun.Result.Files.Split, BatchSize: TinyRun.BatchSize));
        Assert.Equal(TinyRun.Result.Metrics[DataSplit.Test].Accuracy, result.Metrics.Accuracy);
        Assert.Equal(DataSplit.Test, result.Split);
        Assert.Equal(TinyRun.Result.Metrics[DataSplit.Test].SampleCount, result.Metrics.SampleCount);
    }

    [Fact]
    public void Should_evaluate_an_exported_onnx_file_as_the_run_evaluates_its_best_model_in_float32()
    {
        // Given the tiny run's best model exported to ONNX (float32, 8-bit pixels in)
        using var temp = new TempFolder();
        var onnx = TinyRun.ExportOnnx(Path.Combine(temp.Path, "model.onnx"), withPreprocessing: true);

        // When the file is evaluated on the run's split.csv (its test split), and the run itself in float32
        var exported = OnnxEvaluation.Evaluate(new RunEvaluationOptions(onnx, Data: TinyRun.Result.Files.Split, BatchSize: 5, Workers: 2));
        var run = RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder, Workers: 2, Precision: Precision.Fp32));

        // Then the same test images get the same labels and predicted classes, probabilities within 1e-4, the same
        // accuracy and macro-F1, and a loss within 1e-4 (the run's training loss is plain cross-entropy here)
        Assert.Equal((onnx, (string?)null, DataSplit.Test), (exported.Bundle, exported.RunFolder, exported.Split));
        var byPath = run.Paths.Select((path, i) => (path, i)).ToDictionary(p => Path.GetFullPath(p.path), p => p.i);
        Assert.Equal(byPath.Keys.Order(), exported.Paths.Select(Path.GetFullPath).Order());
        for (int i = 0; i < exported.Paths.Count; i++)
        {
            int j = byPath[Path.GetFullPath(exported.Paths[i])];
            Assert.Equal(run.Predictions.Labels[j], exported.Predictions.Labels[i]);
            Assert.Equal(run.Predictions.Predicted[j], exported.Predictions.Predicted[i]);
            for (int c = 0; c < run.Metrics.ClassNames.Count; c++)
                Assert.True(Math.Abs(run.Predictions.Probabilities[j][c] - exported.Predictions.Probabilities[i][c]) <= 1e-4, $"{exported.Paths[i]} class {c}");
        }
        Assert.Equal(run.Metrics.Accuracy, exported.Metrics.Accuracy);
        Assert.Equal(run.Metrics.MacroF1, exported.Metrics.MacroF1);
        Assert.Equal(run.Predictions.Loss, exported.Predictions.Loss, 1e-4);

        // And RunEvaluation.Evaluate given the file does the same (one entry point for runs, bundles and ONNX files)
        var viaRunEvaluation = RunEvaluation.Evaluate(new RunEvaluationOptions(onnx, Data: TinyRun.Result.Files.Split, BatchSize: 5, Workers: 2));
        Assert.Equal(exported.Predictions.Probabilities, viaRunEvaluation.Predictions.Probabilities);
    }

    [Fact]
    public void Should_say_what_to_pass_when_an_onnx_file_is_evaluated_without_data_or_in_bfloat16()
    {
        // Given an ONNX file exported from the tiny run
        using var temp = new TempFolder();
        var onnx = TinyRun.ExportOnnx(Path.Combine(temp.Path, "model.onnx"));

        // When it is evaluated without --data, with --precision bf16, or from a path that does not exist
        var noData = Assert.Throws<HoldoutException>(() => OnnxEvaluation.Evaluate(new RunEvaluationOptions(onnx)));
        var bf16 = Assert.Throws<HoldoutException>(() => OnnxEvaluation.Evaluate(new RunEvaluationOptions(onnx, Data: TinyRun.Data, Precision: Precision.Bf16)));
        var missing = Assert.Throws<HoldoutException>(() => OnnxEvaluation.Evaluate(new RunEvaluationOptions(Path.Combine(temp.Path, "gone.onnx"), Data: TinyRun.Data)));
        var asRun = Assert.Throws<HoldoutException>(() => RunEvaluation.Evaluate(new RunEvaluationOptions(onnx)));

        // Then each message names the file and what to pass instead
        Assert.Contains($"'{onnx}' is an exported ONNX model", noData.Message, StringComparison.Ordinal);
        Assert.Contains("--data DATA", noData.Message, StringComparison.Ordinal);
        Assert.Contains("split.csv", noData.Message, StringComparison.Ordinal);
        Assert.Contains("--precision bf16 does not apply", bf16.Message, StringComparison.Ordinal);
        Assert.Contains("Leave out --precision", bf16.Message, StringComparison.Ordinal);
        Assert.Contains("gone.onnx' does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Equal(noData.Message, asRun.Message); // RunEvaluation hands an ONNX file to OnnxEvaluation
    }
}
