using System.Text.Json.Nodes;
using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

[Collection(NativeCollection.Name)]
public sealed class EvaluatePredictCliTests
{
    [Fact]
    public void Should_print_evaluate_json_with_the_runs_test_accuracy()
    {
        // Given a finished run and its summary.json
        var summary = JsonNode.Parse(File.ReadAllText(TinyRun.Result.Files.Summary))!;

        // When 'holdout evaluate RUN --json --predictions CSV' runs
        using var temp = new TempFolder();
        var csv = Path.Combine(temp.Path, "predictions.csv");
        var (code, stdout, stderr) = Cli("evaluate", TinyRun.Folder, "--json", "--predictions", csv);

        // Then stdout is one JSON document whose accuracy and loss are summary.json's test values
        Assert.True(code == 0, stderr);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal(summary["test"]!["accuracy"]!.GetValue<double>(), json["accuracy"]!.GetValue<double>());
        Assert.Equal(summary["test"]!["loss"]!.GetValue<double>(), json["loss"]!.GetValue<double>(), 12);
        Assert.Equal("test", json["split"]!.GetValue<string>());

        // And the predictions file equals the run's own predictions-test.csv
        Assert.Equal(File.ReadAllText(TinyRun.Result.Files.TestPredictions), File.ReadAllText(csv));
    }

    [Fact]
    public void Should_evaluate_an_onnx_file_on_given_data_and_say_what_to_pass_without_it()
    {
        // Given the tiny run's best model exported to ONNX
        using var temp = new TempFolder();
        var onnx = TinyRun.ExportOnnx(Path.Combine(temp.Path, "model.onnx"));

        // When 'holdout evaluate model.onnx' runs without --data, then with the run's split.csv, and the run in float32
        var noData = Cli("evaluate", onnx);
        var withData = Cli("evaluate", onnx, "--data", TinyRun.Result.Files.Split, "--json");
        var run = Cli("evaluate", TinyRun.Folder, "--precision", "fp32", "--json");

        // Then the first fails (exit 1) saying what to pass, and the second prints the run's test-split metrics
        Assert.Equal(1, noData.Code);
        Assert.Contains("is an exported ONNX model", noData.Stderr, StringComparison.Ordinal);
        Assert.Contains("--data DATA", noData.Stderr, StringComparison.Ordinal);
        Assert.True(withData.Code == 0, withData.Stderr);
        Assert.True(run.Code == 0, run.Stderr);
        var (exported, recorded) = (JsonNode.Parse(withData.Stdout)!, JsonNode.Parse(run.Stdout)!);
        Assert.Equal(onnx, exported["bundle"]!.GetValue<string>());
        Assert.Equal("test", exported["split"]!.GetValue<string>());
        Assert.Equal(recorded["samples"]!.GetValue<int>(), exported["samples"]!.GetValue<int>());
        Assert.Equal(recorded["accuracy"]!.GetValue<double>(), exported["accuracy"]!.GetValue<double>());
        Assert.Equal(recorded["loss"]!.GetValue<double>(), exported["loss"]!.GetValue<double>(), 1e-4);
    }

    [Fact]
    public void Should_print_json_lines_for_a_folder_with_a_corrupt_file_and_exit_1()
    {
        // Given a folder of three run images and one truncated JPEG
        using var temp = new TempFolder();
        var images = TinyRun.Result.Split.Entries.Take(3).ToList();
        for (int i = 0; i < images.Count; i++) File.Copy(images[i].Path, Path.Combine(temp.Path, $"image{i}.png"));
        temp.Write("zz-corrupt.jpg", TestImages.Jpeg(9, 64, 64)[..200]);

        // When 'holdout predict RUN FOLDER --json --top 2' runs
        var (code, stdout, stderr) = Cli("predict", TinyRun.Folder, temp.Path, "--json", "--top", "2");

        // Then every line parses as JSON: three predictions with probabilities per class and top 2, one error line; exit code 1
        Assert.True(code == 1, $"exit code {code}; stderr:\n{stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(4, lines.Count);
        foreach (var line in lines.Take(3))
        {
            Assert.Equal(3, line["probabilities"]!.AsObject().Count);
            Assert.Equal(2, line["top"]!.AsArray().Count);
            Assert.Equal(line["label"]!.GetValue<string>(), line["top"]![0]!["label"]!.GetValue<string>());
        }
        Assert.EndsWith("zz-corrupt.jpg", lines[3]["path"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("truncated", lines[3]["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_bad_options_with_exit_code_2_and_a_clear_message()
    {
        // When options are out of range
        var badSplit = Cli("evaluate", TinyRun.Folder, "--split", "holdout");
        var badTop = Cli("predict", TinyRun.Folder, TinyRun.Data, "--top", "0");

        // Then both exit with 2 and say what is accepted
        Assert.Equal(2, badSplit.Code);
        Assert.Contains("--split 'holdout' is not one of: train, val, test", badSplit.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badTop.Code);
        Assert.Contains("--top must be at least 1", badTop.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_print_help_for_evaluate_predict_and_report()
    {
        foreach (var command in new[] { "evaluate", "predict", "report" })
        {
            // When a command's help is asked for
            var (code, stdout, stderr) = Cli(command, "--help");

            // Then it prints its usage and options (descriptions are valid console markup)
            Assert.True(code == 0, $"{command} --help exited {code}: {stderr}");
            Assert.Contains($"holdout {command}", stdout, StringComparison.Ordinal);
        }
    }

    private static (int Code, string Stdout, string Stderr) Cli(params string[] args)
    {
        var result = CliProcess.Run(args);
        return (result.ExitCode, result.Output, result.Errors);
    }
}
