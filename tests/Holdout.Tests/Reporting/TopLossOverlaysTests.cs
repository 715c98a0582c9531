using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Tests.Metrics;
using Holdout.Tests.Training;

namespace Holdout.Tests.Reporting;

/// <summary>The Grad-CAM overlays of the report's top losses, as <see cref="TopLossOverlays"/> keeps them in a run folder.</summary>
[Collection(NativeCollection.Name)]
public sealed class TopLossOverlaysTests
{
    [Fact]
    public void Should_keep_each_images_overlays_under_its_own_row_with_the_true_class_for_every_wrong_prediction()
    {
        // Given the tiny run's model and test images, with predictions whose losses interleave wrong and right ones:
        // a sure mistake (true class 0.10), a right but unsure one (0.34), a narrow mistake (true 0.36, predicted 0.40)
        NativeRuntime.EnsureInitialized();
        var split = TinyRun.Result.Split;
        var samples = split.Samples(DataSplit.Test);
        var classes = split.ClassNames;
        float[] Probabilities(int label, int kind)
        {
            var (trueShare, predictedShare, otherShare) = kind switch { 0 => (0.34f, 0.33f, 0.33f), 1 => (0.10f, 0.80f, 0.10f), _ => (0.36f, 0.40f, 0.24f) };
            var p = new float[classes.Count];
            p[label] = trueShare;
            p[(label + 1) % classes.Count] = predictedShare;
            p[(label + 2) % classes.Count] = otherShare;
            return p;
        }
        var labels = samples.Select(s => s.Label).ToArray();
        var metrics = PlainMetrics.Compute(labels, [.. labels.Select((label, i) => Probabilities(label, i % 3))], classes);
        using var temp = new TempFolder();
        var folder = Path.Combine(temp.Path, "gradcam");
        using var model = ModelBundle.Load(TinyRun.Result.Files.Best).Model;

        // When the overlays are written and read back
        var count = TopLossOverlays.Write(folder, model, samples, metrics, workers: 1);
        var read = TopLossOverlays.Read(folder);

        // Then every image has its predicted-class overlay, and each wrong one its true-class overlay, in files named
        // after its own row of the evaluation (none shared), as index.json says
        Assert.Equal(samples.Count, count);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "index.json")))!["images"]!.AsArray();
        var wrong = 0;
        foreach (var entry in index)
        {
            var row = entry!["row"]!.GetValue<int>();
            Assert.Equal(samples[row].Path, entry["path"]!.GetValue<string>());
            Assert.Equal($"test-{row:D5}-predicted.png", entry["predicted_overlay"]!.GetValue<string>());
            var isWrong = row % 3 != 0;
            Assert.Equal(isWrong ? $"test-{row:D5}-true.png" : null, entry["true_overlay"]?.GetValue<string>());
            Assert.Equal(isWrong, read[samples[row].Path].True is not null);
            Assert.NotNull(read[samples[row].Path].Predicted);
            if (isWrong) wrong++;
        }
        Assert.True(wrong >= 2 && wrong < samples.Count, $"{wrong} of {samples.Count} wrong: the case is not mixed");
        Assert.Equal(samples.Count + wrong + 1, Directory.GetFiles(folder).Length);
    }
}
