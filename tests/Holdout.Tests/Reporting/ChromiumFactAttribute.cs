namespace Holdout.Tests.Reporting;

/// <summary>
/// A fact that needs Debian's headless Chromium at <see cref="ChromiumPath"/>; skipped, with the reason and the fix,
/// where it is not installed (CI's <c>.ci/run</c> installs it).
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Where the browser is expected.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Marks the test as skipped when the browser is missing.</summary>
    public ChromiumFactAttribute() => Skip = SkipReason(ChromiumPath);

    /// <summary>Why a browser test cannot run with the browser expected at <paramref name="path"/>; null when it can.</summary>
    internal static string? SkipReason(string path) => File.Exists(path)
        ? null
        : $"Chromium is not installed at {path}, so the report cannot be loaded in a real browser; install it with `apt-get install -y chromium` (as .ci/run does) to run this test.";
}
