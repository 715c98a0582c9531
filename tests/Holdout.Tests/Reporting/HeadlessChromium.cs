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

    [GeneratedRegex("<body[^>]*>")]
    private static partial Regex BodyTag();

    [GeneratedRegex("data-([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex DataAttribute();
}
