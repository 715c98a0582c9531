using System.Text.Json.Nodes;
using Holdout.Models.Onnx;
using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

[Collection(NativeCollection.Name)]
public sealed class ExportCommandTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_export_a_run_that_predict_runs_with_the_runs_labels_and_probabilities(bool withPreprocessing)
    {
        // Given a finished run and a folder of its images with one corrupt file
        using var temp = new TempFolder();
        var images = TinyRun.Result.Split.Entries.Take(12).ToList();
        var folder = Path.Combine(temp.Path, "images");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < images.Count; i++) File.Copy(images[i].Path, Path.Combine(folder, $"image{i:00}.png"));
        temp.Write("images/zz-corrupt.jpg", TestImages.Jpeg(9, 64, 64)[..200]);

        // When 'holdout export RUN --out model.onnx' runs, then 'holdout predict' on the run and on the file (with both flips;
        // the run in float32 like the file, as it trained in bfloat16 where the CPU has it)
        var onnx = Path.Combine(temp.Path, "model.onnx");
        string[] export = withPreprocessing ? ["export", TinyRun.Folder, "--out", onnx, "--with-preprocessing"] : ["export", TinyRun.Folder, "--out", onnx];
        var exported = CliProcess.Run(export);
        var fromRun = CliProcess.Run("predict", TinyRun.Folder, folder, "--json", "--tta", "--tta-vertical", "--precision", "fp32");
        var fromOnnx = CliProcess.Run("predict", onnx, folder, "--json", "--tta", "--tta-vertical");

        // Then the export succeeds and says what it wrote, and both predictions agree: every label, probabilities within 1e-4,
        // the same error line for the corrupt file and exit code 1 for it
        Assert.True(exported.ExitCode == 0, exported.Output + exported.Errors);
        Assert.Contains("model.onnx", exported.Output, StringComparison.Ordinal);
        Assert.Contains(withPreprocessing ? "uint8 [batch, 32, 32, 3]" : "float32 [batch, 3, 32, 32]", exported.Output, StringComparison.Ordinal);
        Assert.Equal(withPreprocessing, OnnxModelInfo.Read(onnx).IncludesPreprocessing);
        Assert.Equal(1, fromRun.ExitCode);
        Assert.Equal(1, fromOnnx.ExitCode);
        var expected = Lines(fromRun.Output);
        var actual = Lines(fromOnnx.Output);
        Assert.Equal(images.Count + 1, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i]["path"]!.GetValue<string>(), actual[i]["path"]!.GetValue<string>());
            if (expected[i]["error"] is { } error)
            {
                Assert.Equal(error.GetValue<string>(), actual[i]["error"]!.GetValue<string>());
                continue;
            }
            Assert.Equal(expected[i]["label"]!.GetValue<string>(), actual[i]["label"]!.GetValue<string>());
            foreach (var (name, p) in expected[i]["probabilities"]!.AsObject())
                Assert.True(Math.Abs(p!.GetValue<double>() - actual[i]["probabilities"]![name]!.GetValue<double>()) <= 1e-4, $"{expected[i]["path"]} {name}");
        }
    }

    [Fact]
    public void Should_write_model_onnx_into_the_run_folder_by_default()
    {
        // Given a copy of a finished run
        using var temp = new TempFolder();
        var run = Path.Combine(temp.Path, "run");
        Directory.CreateDirectory(run);
        foreach (var file in Directory.GetFiles(TinyRun.Folder)) File.Copy(file, Path.Combine(run, Path.GetFileName(file)));

        // When 'holdout export RUN' runs without --out
        var result = CliProcess.Run("export", run);

        // Then the run folder has model.onnx with the run's classes
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        Assert.Equal(TinyImageFolder.Classes.Order(), OnnxModelInfo.Read(Path.Combine(run, "model.onnx")).ClassNames);
    }

    [Theory]
    [InlineData("--opset", "9", "--opset 9 is not supported")]
    [InlineData("--out", "model.bin", "--out 'model.bin' does not end in .onnx")]
    public void Should_refuse_bad_options_with_exit_code_2_and_a_clear_message(string option, string value, string message)
    {
        // Given a bad option; When export runs; Then exit code 2 and the message says what is expected
        var result = CliProcess.Run("export", TinyRun.Folder, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_when_the_run_does_not_exist()
    {
        // Given a path that does not exist; When export runs; Then exit code 1 and the message names it
        var result = CliProcess.Run("export", "no-such-run");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'no-such-run' does not exist", result.Errors, StringComparison.Ordinal);
    }

    private static List<JsonObject> Lines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
}
