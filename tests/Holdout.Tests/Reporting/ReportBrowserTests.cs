using Holdout.Reporting;
using SkiaSharp;

namespace Holdout.Tests.Reporting;

public sealed class ReportBrowserTests
{
    [ChromiumFact]
    public void Should_render_in_headless_chromium_with_every_image_and_no_console_errors()
    {
        // Given a complete synthetic report written to the test output folder
        var folder = Path.Combine(ChartsTests.OutputFolder, "browser");
        var path = Path.Combine(folder, "report.html");
        HtmlReport.Write(path, SyntheticReport.Build(folder));

        // When Chromium loads it
        var page = HeadlessChromium.Load(path, folder);

        // Then the page's load check saw all 11 images decoded, no error event fired, and nothing reached the console
        Assert.True(page.BodyData.TryGetValue("images-ok", out var imagesOk), $"the status script did not run; stderr:\n{page.Stderr}");
        Assert.Equal("true", imagesOk);
        Assert.Equal("11", page.BodyData["image-count"]);
        Assert.Equal("0", page.BodyData["errors"]);
        Assert.Empty(page.ConsoleLines);

        // And a screenshot of the page is saved beside it, showing more than a blank page
        var screenshot = Path.Combine(ChartsTests.OutputFolder, "report-screenshot.png");
        HeadlessChromium.Screenshot(path, screenshot, folder, 1280, 3800);
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.Equal((1280, 3800), (bitmap.Width, bitmap.Height));
        Assert.True(Colourful(bitmap) > 10_000, "the screenshot shows almost no coloured pixels");
    }

    [ChromiumFact]
    public void Should_show_results_on_the_first_screen_and_the_configuration_last()
    {
        // Given the synthetic report
        var folder = Path.Combine(ChartsTests.OutputFolder, "browser-order");
        var path = Path.Combine(folder, "report.html");
        HtmlReport.Write(path, SyntheticReport.Build(folder));

        // When Chromium lays it out in a 1280 x 800 window
        var tops = HeadlessChromium.SectionTops(path, folder, 1280, 800);

        // Then the sections stand on the page in the order of the issue, each below the one before
        Assert.Equal(["kpis", "curves", "confusion", "per-class", "roc", "top-losses", "doctor", "data", "batch-preview", "configuration"], tops.Select(t => t.Id));
        Assert.True(tops.Zip(tops.Skip(1)).All(p => p.First.Top < p.Second.Top), string.Join(", ", tops));

        // And the first screen shows results: the headline numbers and the top of the learning curves, not the setup
        Assert.True(tops[0].Top < 300, $"the KPIs start at {tops[0].Top} px");
        Assert.True(tops[1].Top < 500, $"the learning curves start at {tops[1].Top} px");
        Assert.True(tops[^1].Top > 800, $"the configuration starts at {tops[^1].Top} px, on the first screen");

        // And a screenshot of that first screen shows the curves' coloured lines
        var screenshot = Path.Combine(ChartsTests.OutputFolder, "report-first-screen.png");
        HeadlessChromium.Screenshot(path, screenshot, folder, 1280, 800);
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.Equal((1280, 800), (bitmap.Width, bitmap.Height));
        Assert.True(Colourful(bitmap) > 500, $"the first screen shows {Colourful(bitmap)} coloured pixels: no chart");
    }

    [ChromiumFact]
    public void Should_catch_a_broken_image_and_a_console_error()
    {
        // Given the report with a broken image and a console error injected
        var folder = Path.Combine(ChartsTests.OutputFolder, "browser-broken");
        var path = Path.Combine(folder, "report.html");
        var html = HtmlReport.Render(SyntheticReport.Build(folder))
            .Replace("</main>", "<img src=\"data:image/png;base64,AAAA\"><script>console.error('injected failure')</script></main>", StringComparison.Ordinal);
        Directory.CreateDirectory(folder);
        File.WriteAllText(path, html);

        // When Chromium loads it
        var page = HeadlessChromium.Load(path, folder);

        // Then the check reports one broken image of twelve, an error event, and the console line
        Assert.Equal("false", page.BodyData["images-ok"]);
        Assert.Equal("12", page.BodyData["image-count"]);
        Assert.Equal("1", page.BodyData["broken-images"]);
        Assert.NotEqual("0", page.BodyData["errors"]);
        Assert.Contains(page.ConsoleLines, line => line.Contains("injected failure", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_skip_browser_tests_with_the_reason_and_fix_when_chromium_is_missing()
    {
        // Given a browser path that does not exist, and the real one
        // Then the missing one gives a reason naming the path and the install command; an existing file gives none
        var reason = ChromiumFactAttribute.SkipReason("/nonexistent/chromium");
        Assert.NotNull(reason);
        Assert.Contains("/nonexistent/chromium", reason);
        Assert.Contains("apt-get install -y chromium", reason);
        Assert.Null(ChromiumFactAttribute.SkipReason(typeof(ReportBrowserTests).Assembly.Location));
    }

    private static int Colourful(SKBitmap bitmap)
    {
        var count = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Max(c.Red, Math.Max(c.Green, c.Blue)) - Math.Min(c.Red, Math.Min(c.Green, c.Blue)) > 60) count++;
            }
        return count;
    }
}
