using Holdout.Data;
using Holdout.Metrics;
using Holdout.Reporting;
using SkiaSharp;

namespace Holdout.Tests.Reporting;

/// <summary>A small but complete report built from generated images and fixed predictions.</summary>
internal static class SyntheticReport
{
    internal static readonly string[] Classes = ["healthy", "rust <b>&amp;</b>"];

    /// <summary>A solid-colour image with a white disc, encoded as PNG or JPEG.</summary>
    internal static byte[] Image(int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(color);
        using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
        surface.Canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 4f, paint);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>Builds the report data; image files are written to <paramref name="folder"/>.</summary>
    internal static ReportData Build(string folder)
    {
        Directory.CreateDirectory(folder);
        int[] labels = [0, 0, 0, 1, 1, 1];
        float[] sick = [0.1f, 0.7f, 0.4f, 0.9f, 0.3f, 0.6f];
        var metrics = Holdout.Tests.Metrics.PlainMetrics.Compute(labels, sick.SelectMany(s => new[] { 1 - s, s }).ToArray(), Classes);
        var paths = new List<string>();
        for (var i = 0; i < labels.Length; i++)
        {
            var path = Path.Combine(folder, $"leaf {i}.jpg");
            File.WriteAllBytes(path, Image(300 + 20 * i, 200, labels[i] == 0 ? SKColors.ForestGreen : SKColors.SaddleBrown, SKEncodedImageFormat.Jpeg));
            paths.Add(path);
        }
        File.WriteAllBytes(paths[4], [1, 2, 3, 4]); // one unreadable file among the top losses
        var gallery = TopLossExample.From(metrics, paths, count: 4).ToList();
        // Grad-CAM overlays for the first two: one predicted-class overlay each, and the true class's for a wrong one
        gallery[0] = gallery[0] with { PredictedOverlay = Image(96, 96, SKColors.OrangeRed), TrueOverlay = gallery[0].TrueLabel != gallery[0].PredictedLabel ? Image(96, 96, SKColors.Gold) : null };
        gallery[1] = gallery[1] with { PredictedOverlay = Image(96, 96, SKColors.OrangeRed) };
        gallery.Add(new TopLossExample
        {
            ImageBytes = Image(64, 64, SKColors.SteelBlue),
            TrueLabel = Classes[0], PredictedLabel = Classes[0], PredictedProbability = 0.55, TrueProbability = 0.55, Loss = 0.6,
        });

        return new ReportData
        {
            Title = "beans <leaves> · ResNet-18 fine-tune",
            Subtitle = "run 20261129-070000-resnet18",
            CreatedAt = new DateTimeOffset(2026, 11, 29, 7, 0, 0, TimeSpan.Zero),
            Configuration =
            [
                new("backbone", "resnet18 (ImageNet, ONNX)"),
                new("image_size", "224"),
                new("precision", "fp32", Given: "auto"),
                new("seed", "42"),
                new("data", "/data/beans/<train> & co"),
            ],
            ClassNames = Classes,
            Splits = [new("train", [400, 380]), new("validation", [50, 47]), new("test", [3, 3])],
            SkippedFiles = [new("/data/beans/train/broken.jpg", "not an image: <unknown> header")],
            History = ChartsTests.History,
            Metrics = metrics,
            EvaluatedSplit = "test",
            TopLosses = gallery,
            DoctorFindings =
            [
                new("warning", "class-imbalance", "The <largest> class has 3x the images of the smallest.", ["healthy: 453", "rust: 430"], "Pass --class-weights."),
                new("info", "too-few-images", "Few test images.", [], "Add images."),
            ],
            BatchPreviewPng = Image(480, 120, SKColors.DarkSlateGray),
        };
    }
}
