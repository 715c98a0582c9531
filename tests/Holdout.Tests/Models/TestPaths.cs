namespace Holdout.Tests.Models;

/// <summary>Finds fixtures beside the tests and the team's shared data folder.</summary>
internal static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", name);

    /// <summary>The shared folder, found by walking up from the test binaries to a folder that has a <c>shared</c> child; null when absent.</summary>
    public static string? Shared()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "datasets"))) return candidate;
        }
        return null;
    }
}
