using Holdout.Training;

namespace Holdout.Runs;

/// <summary>Finds the sample dataset shipped in the repository (<c>samples/beans</c>), used when no DATA is given.</summary>
internal static class SampleData
{
    /// <summary>The sample folder's path relative to the repository root.</summary>
    public const string RelativePath = "samples/beans";

    /// <summary>Looks for <c>samples/beans</c> in the current folder, the application's folder, and their parents.</summary>
    /// <exception cref="HoldoutException">It is not found.</exception>
    public static string Locate()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, RelativePath);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        throw new HoldoutException($"No DATA was given and the sample dataset '{RelativePath}' was not found here or above. " +
                                   "Pass a folder of images (one subfolder per class), e.g. 'holdout train path/to/images'.");
    }
}
