namespace Holdout.Tests;

/// <summary>
/// Finds the team's shared data: <c>$HOLDOUT_SHARED</c> when set (<c>.ci/run</c> sets it when it finds the data
/// elsewhere), else <c>shared/</c> beside the repository clone (walk up from the test's base folder to the folder that
/// contains <c>.git</c>, then look for <c>shared/</c> in its parent).
/// </summary>
internal static class SharedData
{
    /// <summary>The repository clone the tests were built from (the folder holding <c>.git</c>), or null when not found.</summary>
    public static string? Repository { get; } = LocateRepository();

    public static string? Folder { get; } = Locate();

    /// <summary>The path of a shared dataset, or null when shared/ or the dataset is absent.</summary>
    public static string? Dataset(string relative)
    {
        if (Folder is null)
        {
            return null;
        }
        var path = Path.Combine(Folder, "datasets", relative);
        return Directory.Exists(path) ? path : null;
    }

    private static string? Locate()
    {
        var given = Environment.GetEnvironmentVariable("HOLDOUT_SHARED");
        if (!string.IsNullOrWhiteSpace(given)) return Directory.Exists(given) ? given : null;
        if (Repository is null) return null;
        var shared = Path.Combine(Path.GetDirectoryName(Repository) ?? Repository, "shared");
        return Directory.Exists(shared) ? shared : null;
    }

    private static string? LocateRepository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (Directory.Exists(Path.Combine(folder.FullName, ".git")) || File.Exists(Path.Combine(folder.FullName, ".git")))
                return folder.FullName;
        }
        return null;
    }
}
