namespace Holdout.Tests;

/// <summary>
/// Finds the team's shared data (<c>shared/</c> beside the repository clone): walk up from the test's base folder to
/// the folder that contains <c>.git</c>, then look for <c>shared/</c> in its parent.
/// </summary>
internal static class SharedData
{
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
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (Directory.Exists(Path.Combine(folder.FullName, ".git")) || File.Exists(Path.Combine(folder.FullName, ".git")))
            {
                var shared = Path.Combine(folder.Parent?.FullName ?? folder.FullName, "shared");
                return Directory.Exists(shared) ? shared : null;
            }
        }
        return null;
    }
}
