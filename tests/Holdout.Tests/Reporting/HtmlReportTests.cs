using System.Text.RegularExpressions;
using Holdout.Reporting;

namespace Holdout.Tests.Reporting;

public sealed partial class HtmlReportTests
{
    [Fact]
    public void Should_embed_every_image_and_reference_nothing_outside_the_file()
    {
        // Given a complete synthetic report
        var folder = Path.Combine(ChartsTests.OutputFolder, "html-embedded");
        var data = SyntheticReport.Build(folder);

        // When it is written
        var path = Path.Combine(folder, "report.html");
        HtmlReport.Write(path, data);
        var html = File.ReadAllText(path);

        // Then every image is a data URI: 3 charts (curves, confusion, ROC), 4 readable thumbnails, 3 Grad-CAM overlays
        // (as JPEG thumbnails too), the batch preview
        var sources = ImageSource().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3 + 4 + 3 + 1, sources.Count);
        Assert.All(sources, src => Assert.Matches("^data:image/(png|jpeg);base64,[A-Za-z0-9+/=]+$", src));
        Assert.Equal(4 + 3, sources.Count(src => src.StartsWith("data:image/jpeg", StringComparison.Ordinal)));

        // And nothing is loaded from elsewhere: no external src/href, stylesheet link, font or import
        Assert.DoesNotMatch("(src|href)=\"(?!data:|#)", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);

        // And the unreadable file is shown as such, and every section is there
        Assert.Contains("image unreadable", html);
        foreach (var id in new[] { "configuration", "data", "curves", "confusion", "per-class", "roc", "top-losses", "doctor", "batch-preview" })
            Assert.Contains($"<section id=\"{id}\">", html);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Should_escape_user_text_everywhere()
    {
        // Given a title, class name, configuration value and skipped-file reason that contain markup
        var data = SyntheticReport.Build(Path.Combine(ChartsTests.OutputFolder, "html-escape"));

        // When the report is rendered
        var html = HtmlReport.Render(data);

        // Then the markup appears only escaped
        Assert.Contains("beans &lt;leaves&gt; · ResNet-18 fine-tune", html);
        Assert.Contains("The &lt;largest&gt; class", html);
        Assert.Contains("rust &lt;b&gt;&amp;amp;&lt;/b&gt;", html);
        Assert.Contains("/data/beans/&lt;train&gt; &amp; co", html);
        Assert.Contains("not an image: &lt;unknown&gt; header", html);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<leaves>", html);
        Assert.DoesNotContain("<largest>", html);
    }

    [Fact]
    public void Should_show_the_numbers_of_the_data_summary_and_per_class_table()
    {
        // Given the synthetic report: 3 + 3 test samples, predictions healthy ×2 right, 1 wrong; rust 2 right, 1 wrong
        var data = SyntheticReport.Build(Path.Combine(ChartsTests.OutputFolder, "html-numbers"));

        // When it is rendered
        var html = HtmlReport.Render(data);

        // Then split counts and totals, headline accuracy and per-class rows are on the page
        Assert.Contains("<tr><th>healthy</th><td>400</td><td>50</td><td>3</td><td>453</td></tr>", html);
        Assert.Contains("<tr class=\"total\"><th>total</th><td>780</td><td>97</td><td>6</td><td>883</td></tr>", html);
        Assert.Contains("<div class=\"value\">66.7%</div><div class=\"label\">test accuracy</div>", html);
        Assert.Contains("<tr><th>healthy</th><td>0.667</td><td>0.667</td><td>0.667</td><td>3</td><td>3</td></tr>", html);
    }

    [Fact]
    public void Should_say_what_is_missing_instead_of_failing_when_only_a_title_is_given()
    {
        // Given report data with nothing but a title
        var data = new ReportData { Title = "empty run" };

        // When it is rendered
        var html = HtmlReport.Render(data);

        // Then it has no images and says which parts are not available
        Assert.DoesNotContain("<img", html);
        Assert.Contains("No training history was recorded.", html);
        Assert.Contains("The model has not been evaluated.", html);
        Assert.Contains("No batch preview was recorded.", html);
    }

    [Fact]
    public void Should_lead_with_results_and_end_with_the_configuration_collapsed_one_row_per_setting()
    {
        // Given the synthetic report
        var data = SyntheticReport.Build(Path.Combine(ChartsTests.OutputFolder, "html-order"));

        // When it is rendered
        var html = HtmlReport.Render(data);

        // Then the sections come in the order of the issue: KPIs, curves, confusion, per class, (ROC), top losses, the
        // doctor's findings; then data and batch preview; the configuration last
        var order = SectionId().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["kpis", "curves", "confusion", "per-class", "roc", "top-losses", "doctor", "data", "batch-preview", "configuration"], order);

        // And the title names the dataset and model, with the run folder as the subtitle
        Assert.Contains("<title>beans &lt;leaves&gt; · ResNet-18 fine-tune</title>", html, StringComparison.Ordinal);
        Assert.Contains("<h1>beans &lt;leaves&gt; · ResNet-18 fine-tune</h1>", html, StringComparison.Ordinal);
        Assert.Contains("run 20261129-070000-resnet18", html, StringComparison.Ordinal);

        // And the configuration is collapsed, one row per setting, the given value beside the used one where they differ
        var configuration = html[html.IndexOf("<section id=\"configuration\">", StringComparison.Ordinal)..];
        Assert.StartsWith("<section id=\"configuration\">\n<h2>Run configuration</h2>\n<details><summary>5 settings", configuration, StringComparison.Ordinal);
        Assert.Equal(5, Regex.Count(configuration, "<tr><th>"));
        Assert.Contains("<tr><th>precision</th><td><span class=\"given\">auto</span> → fp32</td></tr>", configuration, StringComparison.Ordinal);
        Assert.Contains("<tr><th>image_size</th><td>224</td></tr>", configuration, StringComparison.Ordinal);

        // And the gallery shows each overlay next to its image, labelled with the class it explains; a right
        // prediction or a missing overlay adds nothing
        Assert.Contains("<div class=\"gallery explained\">", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(html, "<span>why “"));
        Assert.Equal(1, Regex.Count(html, "<span>where “"));

        // And the doctor's findings show severity, code, evidence and fix
        Assert.Contains("<b class=\"severity\">WARNING</b> <code>class-imbalance</code>", html, StringComparison.Ordinal);
        Assert.Contains("<li>healthy: 453</li>", html, StringComparison.Ordinal);
        Assert.Contains("<p><b class=\"fix\">fix:</b> Pass --class-weights.</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_leave_out_the_doctor_section_and_overlays_when_the_run_has_none()
    {
        // Given the synthetic report without doctor findings or overlays
        var full = SyntheticReport.Build(Path.Combine(ChartsTests.OutputFolder, "html-plain"));
        var data = full with { DoctorFindings = null, TopLosses = [.. full.TopLosses.Select(e => e with { PredictedOverlay = null, TrueOverlay = null })] };

        // When it is rendered
        var html = HtmlReport.Render(data);

        // Then there is no doctor section or link, and the gallery is the plain one
        Assert.DoesNotContain("id=\"doctor\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"#doctor\"", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"gallery\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Grad-CAM", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("<section id=\"([a-z-]+)\"")]
    private static partial Regex SectionId();

    [GeneratedRegex("<img [^>]*src=\"([^\"]*)\"")]
    private static partial Regex ImageSource();
}
