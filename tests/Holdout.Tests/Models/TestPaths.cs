namespace Holdout.Tests.Models;

/// <summary>Finds the committed model fixtures beside the test binaries (shared data: see <see cref="SharedData"/>).</summary>
internal static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", name);
}
