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

        // Then every image is a data URI: 3 charts (curves, confusion, ROC), 4 readable thumbnails, the batch preview
        var sources = ImageSource().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3 + 4 + 1, sources.Count);
        Assert.All(sources, src => Assert.Matches("^data:image/(png|jpeg);base64,[A-Za-z0-9+/=]+$", src));
        Assert.Equal(4, sources.Count(src => src.StartsWith("data:image/jpeg", StringComparison.Ordinal)));

        // And nothing is loaded from elsewhere: no external src/href, stylesheet link, font or import
        Assert.DoesNotMatch("(src|href)=\"(?!data:|#)", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);

        // And the unreadable file is shown as such, and every section is there
        Assert.Contains("image unreadable", html);
        foreach (var id in new[] { "configuration", "data", "curves", "confusion", "per-class", "roc", "top-losses", "batch-preview" })
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
        Assert.Contains("beans-resnet18 &lt;run&gt;", html);
        Assert.Contains("rust &lt;b&gt;&amp;amp;&lt;/b&gt;", html);
        Assert.Contains("/data/beans/&lt;train&gt; &amp; co", html);
        Assert.Contains("not an image: &lt;unknown&gt; header", html);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<run>", html);
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

    [GeneratedRegex("<img [^>]*src=\"([^\"]*)\"")]
    private static partial Regex ImageSource();
}
