using Holdout.Data;

namespace Holdout.Inference;

/// <summary>
/// Turns what a user passes to <c>holdout predict</c> into image paths: an image file is itself; a folder is every
/// file under it (recursively, sorted, hidden files and folders and obvious non-images such as <c>.md</c>,
/// <c>.txt</c>, <c>.csv</c>, <c>.json</c>, <c>.jsonl</c>, <c>.npy</c> left out; the rest is recognised by content when predicted, so unreadable
/// files are reported, not dropped); a <c>.csv</c> file is a manifest whose <c>path</c> column (with a header) or first
/// column (without) is the image path (relative to the CSV's folder or absolute; '#' lines are comments), which also
/// reads a <c>split.csv</c>. A path that does not exist is passed on, so the predictor reports it.
/// </summary>
public static class PredictionInputs
{
    private static readonly HashSet<string> NotImages = new(StringComparer.OrdinalIgnoreCase) { ".md", ".txt", ".csv", ".json", ".html", ".log", ".holdout", ".npy", ".jsonl" };

    /// <summary>The image paths of <paramref name="inputs"/>, in the given order (a folder's files sorted ordinally).</summary>
    /// <param name="inputs">Image files, folders and CSV manifests.</param>
    /// <exception cref="HoldoutException">A CSV manifest cannot be read.</exception>
    public static IEnumerable<string> Expand(IEnumerable<string> inputs)
    {
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                foreach (var file in FolderImages(input)) yield return file;
            }
            else if (File.Exists(input) && string.Equals(Path.GetExtension(input), ".csv", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var file in ManifestImages(input)) yield return file;
            }
            else
            {
                yield return input;
            }
        }
    }

    private static List<string> FolderImages(string folder)
    {
        var root = Path.GetFullPath(folder);
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !NotImages.Contains(Path.GetExtension(f)))
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static List<string> ManifestImages(string csv)
    {
        var table = CsvTable.Read(csv);
        var rows = table.Rows;
        int column = 0;
        if (rows.Count > 0 && rows[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList() is var names && names.Contains("path"))
        {
            column = names.IndexOf("path");
            rows = [.. rows.Skip(1)];
        }
        var paths = rows.Select(r => r[column]).Where(cell => cell.Length > 0).Select(table.Resolve).ToList();
        if (paths.Count == 0) throw new HoldoutException($"The manifest '{csv}' lists no images. Expected one image path per line in its first column (or a 'path' column under a header).");
        return paths;
    }
}
