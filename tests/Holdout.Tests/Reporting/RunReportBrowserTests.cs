using System.Text.RegularExpressions;
using Holdout.Native;
using Holdout.Reporting;
using Holdout.Runs;
using Holdout.Tests.Training;
using SkiaSharp;

namespace Holdout.Tests.Reporting;

[Collection(NativeCollection.Name)]
public sealed class RunReportBrowserTests
{
    [Fact]
    public void Should_write_the_batch_preview_into_the_run_folder_and_rebuild_the_report_from_it()
    {
        // Given a finished tiny run
        NativeRuntime.EnsureInitialized();
        var files = TinyRun.Result.Files;

        // Then its folder holds preview.png: a grid of the first training batch (8 images at 32 px, one row)
        Assert.True(File.Exists(files.Preview), $"missing {files.Preview}");
        using (var preview = SKBitmap.Decode(files.Preview))
        {
            Assert.NotNull(preview);
            Assert.True(preview.Width >= 8 * 32 && preview.Height >= 32, $"preview is {preview.Width}x{preview.Height}");
        }

        // And regenerating the report gives the same path and embeds the preview
        var path = RunReport.Write(files.Folder);
        Assert.Equal(files.Report, path);
        Assert.Contains("alt=\"Batch preview: the model", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_grad_cam_overlays_of_the_top_losses_in_the_run_folder_and_show_them_in_the_report()
    {
        // Given a finished tiny run (simple CNN, 32 px)
        NativeRuntime.EnsureInitialized();
        var files = TinyRun.Result.Files;
        var testCount = TinyRun.Result.Split.Samples(Holdout.Data.DataSplit.Test).Count;

        // Then gradcam/index.json lists its top-loss test images (at most 16), each with an overlay of the predicted
        // class at the evaluation size, and of the true class when the prediction is wrong
        var index = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(files.GradCam, "index.json")))!["images"]!.AsArray();
        Assert.Equal(Math.Min(TopLossOverlays.Count, testCount), index.Count);
        foreach (var entry in index)
        {
            var wrong = entry!["true"]!.GetValue<string>() != entry["predicted"]!.GetValue<string>();
            Assert.Equal(wrong, entry["true_overlay"] is not null);
            foreach (var overlay in new[] { entry["predicted_overlay"], entry["true_overlay"] }.OfType<System.Text.Json.Nodes.JsonNode>())
            {
                using var bitmap = SKBitmap.Decode(Path.Combine(files.GradCam, overlay.GetValue<string>()));
                Assert.Equal((32, 32), (bitmap.Width, bitmap.Height));
            }
        }

        // And the report, rebuilt from the folder alone, shows one predicted-class overlay per gallery image and the
        // true class's for each wrong one, beside the image
        var html = File.ReadAllText(RunReport.Write(files.Folder));
        Assert.Equal(index.Count, Regex.Count(html, "<span>why “"));
        Assert.Equal(index.Count(e => e!["true_overlay"] is not null), Regex.Count(html, "<span>where “"));
        Assert.Contains("<div class=\"gallery explained\">", html, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public void Should_open_a_real_runs_report_in_headless_chromium_with_every_image_and_no_console_errors()
    {
        // Given the report of a real (tiny) run, copied to the test output folder
        NativeRuntime.EnsureInitialized();
        var folder = Path.Combine(ChartsTests.OutputFolder, "run-report");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "report.html");
        File.Copy(RunReport.Write(TinyRun.Folder), path, overwrite: true);
        var html = File.ReadAllText(path);
        int images = Regex.Count(html, "<img ");

        // When Chromium loads it
        var page = HeadlessChromium.Load(path, folder);

        // Then every image decoded (curves, confusion matrix, gallery thumbnails, batch preview), no error event, no console output
        Assert.True(page.BodyData.TryGetValue("images-ok", out var imagesOk), $"the status script did not run; stderr:\n{page.Stderr}");
        Assert.Equal("true", imagesOk);
        Assert.Equal(images.ToString(System.Globalization.CultureInfo.InvariantCulture), page.BodyData["image-count"]);
        Assert.True(images >= 4, $"only {images} images in the report");
        Assert.Equal("0", page.BodyData["errors"]);
        Assert.Empty(page.ConsoleLines);
        foreach (var alt in new[] { "Loss and accuracy per epoch", "Confusion matrix heat map", "Batch preview", "Grad-CAM of the evidence for" })
            Assert.Contains(alt, page.Dom, StringComparison.Ordinal);

        // And results lead: the KPIs and the learning curves start on the first 1280 x 800 screen, the configuration is last
        var tops = HeadlessChromium.SectionTops(path, folder, 1280, 800);
        Assert.Equal(["kpis", "curves", "confusion", "per-class", "top-losses", "data", "batch-preview", "configuration"], tops.Select(t => t.Id));
        Assert.True(tops[0].Top < 300 && tops[1].Top < 500, string.Join(", ", tops));
        Assert.True(tops.Zip(tops.Skip(1)).All(p => p.First.Top < p.Second.Top), string.Join(", ", tops));

        // And a screenshot is saved under the test output, showing more than a blank page
        var screenshot = Path.Combine(ChartsTests.OutputFolder, "run-report-screenshot.png");
        HeadlessChromium.Screenshot(path, screenshot, folder, 1280, 5200); // tall enough for the whole page of a 3-class run
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.Equal((1280, 5200), (bitmap.Width, bitmap.Height));
        Assert.True(NonWhite(bitmap) > 20_000, "the screenshot is almost blank");
    }

    private static int NonWhite(SKBitmap bitmap)
    {
        var count = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red < 200 || c.Green < 200 || c.Blue < 200) count++;
            }
        return count;
    }
}
