using System.Text.Json.Nodes;
using Holdout.Models.Onnx;
using Holdout.Tests.Models;
using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

/// <summary>
/// Issue 29's acceptance, end to end through the CLI: <c>holdout train DATA --model convnext-tiny --weights
/// convnext_tiny.pth --recipe frozen</c> on a small set with a .pth made by the fixture script, then the trained run
/// exported to ONNX, explained with Grad-CAM and examined by the doctor.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class TorchvisionWeightsCliTests
{
    [PythonModuleFact("torchvision")]
    public void Should_train_convnext_tiny_from_a_pth_file_with_the_frozen_recipe_then_export_explain_and_examine_it()
    {
        // Given torchvision's ConvNeXt-Tiny saved by torch.save (random weights, made by make_torchvision_fixture.py) and a small image folder
        using var temp = new TempFolder();
        var pth = TorchvisionFixture.Get("convnext_tiny").Pth;
        var data = TinyImageFolder.Create(temp, perClass: 10, size: 48);
        var run = Path.Combine(temp.Path, "run");

        // When holdout trains it with the frozen recipe, then exports, explains and examines the run
        var trained = CliProcess.Run("train", data, "--model", "convnext-tiny", "--weights", pth, "--recipe", "frozen",
            "--image-size", "64", "--epochs", "2", "--seed", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Output + trained.Errors);
        var exported = CliProcess.Run("export", run, "--out", Path.Combine(temp.Path, "model.onnx"));
        var explained = CliProcess.Run("explain", run, Path.Combine(data, "red"), "--out", Path.Combine(temp.Path, "explained"));
        var examined = CliProcess.Run("doctor", data, "--run", run, "--json");

        // Then the run records the file and its preprocessing, reports a test accuracy, and every later command works on it
        Assert.Contains("test accuracy", trained.Output, StringComparison.Ordinal);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        var spec = config.ToJsonString();
        Assert.Contains("convnext-tiny torchvision layout", spec, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(pth), spec, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, "best.holdout")));
        Assert.True(exported.ExitCode == 0, exported.Output + exported.Errors);
        Assert.Equal(TinyImageFolder.Classes.Order(), OnnxModelInfo.Read(Path.Combine(temp.Path, "model.onnx")).ClassNames);
        Assert.True(explained.ExitCode == 0, explained.Output + explained.Errors);
        Assert.Contains("10 image(s) explained", explained.Errors, StringComparison.Ordinal); // the summary goes to stderr, as ExplainCommandTests reads it
        Assert.True(examined.ExitCode is 0 or 1, examined.Output + examined.Errors); // 1: the doctor found something in random weights
        Assert.NotNull(JsonNode.Parse(examined.Output));
        Assert.DoesNotContain("Exception", examined.Errors, StringComparison.Ordinal);
    }
}
