using System.Text.RegularExpressions;

namespace Holdout.Tests.Reporting;

/// <summary>Runs headless Chromium on a local HTML file: dumps the DOM after load, or takes a screenshot.</summary>
internal static partial class HeadlessChromium
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>What a page load showed.</summary>
    internal sealed record PageLoad(string Dom, IReadOnlyList<string> ConsoleLines, IReadOnlyDictionary<string, string> BodyData, string Stderr);

    /// <summary>Loads the page, lets it run (virtual time), and returns the DOM, console lines and body data attributes.</summary>
    internal static PageLoad Load(string htmlPath, string workFolder)
    {
        var (stdout, stderr) = Run(workFolder, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", FileUrl(htmlPath));
        // Every console message (log, warning, error, uncaught exception) is logged as "...:CONSOLE(...)] "text"".
        var console = stderr.Split('\n').Where(line => line.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        var body = BodyTag().Match(stdout);
        var data = body.Success
            ? DataAttribute().Matches(body.Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)
            : new Dictionary<string, string>();
        return new PageLoad(stdout, console, data, stderr);
    }

    /// <summary>Takes a screenshot of the page at the given window size.</summary>
    internal static void Screenshot(string htmlPath, string pngPath, string workFolder, int width = 1280, int height = 2400)
    {
        if (File.Exists(pngPath)) File.Delete(pngPath);
        var (_, stderr) = Run(workFolder, $"--window-size={width},{height}", "--hide-scrollbars", $"--screenshot={pngPath}", FileUrl(htmlPath));
        if (!File.Exists(pngPath)) throw new InvalidOperationException($"Chromium wrote no screenshot. Its stderr:\n{stderr}");
    }

    /// <summary>
    /// Lays the page out in a window of <paramref name="width"/> x <paramref name="height"/> and returns each section of
    /// <c>main</c> (by id) with the distance of its top from the top of the page, in CSS pixels, in document order. A copy
    /// of the page with a script that measures them is loaded (written beside it as <c>*.layout.html</c>).
    /// </summary>
    internal static IReadOnlyList<(string Id, int Top)> SectionTops(string htmlPath, string workFolder, int width = 1280, int height = 800)
    {
        const string measure = "<script>window.addEventListener('load', function () { document.body.dataset.sectionTops = " +
            "Array.prototype.map.call(document.querySelectorAll('main > section[id]'), function (s) { return s.id + ':' + Math.round(s.getBoundingClientRect().top + window.scrollY); }).join(' '); });</script>";
        var copy = Path.ChangeExtension(htmlPath, ".layout.html");
        File.WriteAllText(copy, File.ReadAllText(htmlPath).Replace("</body>", measure + "</body>", StringComparison.Ordinal));
        var (stdout, stderr) = Run(workFolder, $"--window-size={width},{height}", "--virtual-time-budget=5000", "--dump-dom", FileUrl(copy));
        var tops = SectionTopsAttribute().Match(stdout);
        if (!tops.Success) throw new InvalidOperationException($"The layout script did not run. Chromium's stderr:\n{stderr}");
        return [.. tops.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => (t[..t.LastIndexOf(':')], int.Parse(t[(t.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)))];
    }

    private static string FileUrl(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    private static (string Stdout, string Stderr) Run(string workFolder, params string[] arguments)
    {
        var profile = Path.Combine(workFolder, $"chromium-profile-{Guid.NewGuid():N}");
        Directory.CreateDirectory(profile);
        string[] flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", $"--user-data-dir={profile}"];
        try
        {
            var result = ChildProcess.Run(ChromiumFactAttribute.ChromiumPath, [.. flags, .. arguments], timeout: Limit);
            return (result.Output, result.Errors);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [GeneratedRegex("data-section-tops=\"([^\"]*)\"")]
    private static partial Regex SectionTopsAttribute();

    [GeneratedRegex("<body[^>]*>")]
    private static partial Regex BodyTag();

    [GeneratedRegex("data-([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex DataAttribute();
}
