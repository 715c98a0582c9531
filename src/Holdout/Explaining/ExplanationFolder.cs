using System.Text;

namespace Holdout.Explaining;

/// <summary>
/// Writes explanations to a folder, as <c>holdout explain</c> does: one overlay PNG per explained image (named after
/// the image file, made unique with <c>-2</c>, <c>-3</c>, ... when several inputs share a name) and
/// <c>explanations.jsonl</c> with one line per image (<see cref="ImageExplanation.ToJson"/>), each file written
/// atomically.
/// </summary>
public sealed class ExplanationFolder
{
    /// <summary>The JSON-lines file's name.</summary>
    public const string JsonLinesFileName = "explanations.jsonl";

    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase) { JsonLinesFileName };
    private readonly StringBuilder _lines = new();

    /// <summary>Creates <paramref name="folder"/> if needed.</summary>
    /// <param name="folder">Where the files go.</param>
    /// <exception cref="HoldoutException">The folder cannot be created.</exception>
    public ExplanationFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Folder = folder;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HoldoutException($"Cannot create the output folder '{folder}': {e.Message} Pass another --out.", e);
        }
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The path of <see cref="JsonLinesFileName"/>.</summary>
    public string JsonLinesPath => Path.Combine(Folder, JsonLinesFileName);

    /// <summary>
    /// Writes <paramref name="result"/>'s overlay (when it was explained) and adds its JSON line; returns the overlay's
    /// file name, or null for an image that could not be read.
    /// </summary>
    /// <param name="result">One image's explanation.</param>
    public string? Add(ImageExplanation result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string? overlay = null;
        if (result.Succeeded)
        {
            overlay = UniqueName(result.Path);
            AtomicFile.WriteAllBytes(Path.Combine(Folder, overlay), result.OverlayPng());
        }
        _lines.Append(result.ToJson(overlay)).Append('\n');
        return overlay;
    }

    /// <summary>Writes <see cref="JsonLinesFileName"/> with a line per image added so far.</summary>
    public void Complete() => AtomicFile.WriteAllText(JsonLinesPath, _lines.ToString());

    /// <summary>The image's file name without its extension, characters outside [A-Za-z0-9._-] replaced, then <c>.png</c>; <c>-N</c> added before it when taken.</summary>
    private string UniqueName(string imagePath)
    {
        var stem = new string(Path.GetFileNameWithoutExtension(imagePath).Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '_' ? ch : '_').ToArray());
        if (stem.Length == 0) stem = "image";
        var name = stem + ".png";
        for (var n = 2; !_names.Add(name); n++) name = $"{stem}-{n}.png";
        return name;
    }
}
