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
        foreach (var alt in new[] { "Loss and accuracy per epoch", "Confusion matrix heat map", "Batch preview" })
            Assert.Contains(alt, page.Dom, StringComparison.Ordinal);

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
