using System.Globalization;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Tests.Cli;
using Holdout.Tests.Training;
using Xunit.Abstractions;

namespace Holdout.Tests.Samples;

[Collection(NativeCollection.Name)]
public sealed class OnnxServingTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_serve_an_exported_model_with_plain_onnx_runtime_as_holdout_predicts()
    {
        // Given the tiny run's model exported with its preprocessing inside, and the run's images
        using var temp = new TempFolder();
        var onnx = Path.Combine(temp.Path, "model.onnx");
        using (var model = ModelBundle.Load(TinyRun.Result.Files.Best).Model)
            OnnxExport.Save(model, onnx, new OnnxExportOptions(WithPreprocessing: true));
        var images = TinyRun.Result.Split.Entries.Select(e => e.Path).ToList();

        // When the serving sample shown in docs/onnx.md (ONNX Runtime and SkiaSharp only, no Holdout) classifies them
        var result = CliProcess.RunProgram("OnnxServing.dll", [onnx, .. images]);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();

        // Then it prints one line per image with the label Holdout predicts, and a probability close to Holdout's
        // (its resize is SkiaSharp's, not Holdout's antialiased resampler, so pixels may differ slightly)
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Equal(images, lines.Select(l => l[0]));
        using var predictor = Predictor.Load(onnx);
        var expected = predictor.Predict(images).ToList();
        var worst = 0.0;
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(expected[i].Label, lines[i][1]);
            worst = Math.Max(worst, Math.Abs(expected[i].Confidence - double.Parse(lines[i][2], CultureInfo.InvariantCulture)));
        }
        output.WriteLine($"{images.Count} images, largest probability difference to Holdout's own preparation: {worst:F4}");
        Assert.True(worst < 0.05, $"probabilities differ by up to {worst}");
    }

    [Fact]
    public void Should_show_the_sample_verbatim_in_the_onnx_guide()
    {
        // Given the serving sample and docs/onnx.md (the README links to it); When the guide is read; Then it shows the whole sample as a C# block
        var repository = SharedData.Repository!;
        var sample = File.ReadAllText(Path.Combine(repository, "samples", "OnnxServing", "Program.cs"));
        var guide = File.ReadAllText(Path.Combine(repository, "docs", "onnx.md"));
        Assert.Contains("```csharp\n" + sample + "```", guide, StringComparison.Ordinal);
    }
}
