using System.Text;

namespace Holdout.Data;

/// <summary>
/// The one CSV reader of the library (manifests, <c>split.csv</c>, prediction lists): RFC 4180 — fields separated by
/// commas, optionally quoted, quotes doubled inside quotes, line breaks allowed inside quotes, CRLF or LF — plus two
/// conveniences for hand-written manifests: blank lines and lines starting with '#' are skipped. Each row keeps the
/// line number it starts on, for messages. Paths in a row resolve against the CSV's folder.
/// </summary>
internal sealed class CsvTable
{
    private CsvTable(string path, IReadOnlyList<CsvRow> rows)
    {
        Path = path;
        Folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Rows = rows;
    }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>The folder relative paths resolve against.</summary>
    public string Folder { get; }

    /// <summary>Every row (the header too, when there is one), in file order.</summary>
    public IReadOnlyList<CsvRow> Rows { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="HoldoutException">The file is missing or cannot be read, or a quoted field never closes.</exception>
    public static CsvTable Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HoldoutException($"Cannot read the CSV file '{path}': {e.Message}. Check the path and its permissions.", e);
        }
        return new CsvTable(path, Parse(text, path));
    }

    /// <summary>The full path a path cell names: as is when absolute, else relative to <see cref="Folder"/>.</summary>
    /// <param name="cell">A path as written in the file.</param>
    public string Resolve(string cell) => System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(cell) ? cell : System.IO.Path.Combine(Folder, cell));

    /// <summary>Splits CSV text into rows (see the type's remarks).</summary>
    internal static List<CsvRow> Parse(string text, string source)
    {
        var rows = new List<CsvRow>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, rowLine = 1;
        bool quoted = false, atRowStart = true, fieldWasQuoted = false;
        for (var i = 0; i <= text.Length; i++)
        {
            if (atRowStart)
            {
                // Skip blank lines and '#' comment lines between rows.
                while (i < text.Length && (text[i] is '\r' or '\n' || text[i] == '#'))
                {
                    if (text[i] == '#') while (i < text.Length && text[i] != '\n') i++;
                    if (i < text.Length && text[i] == '\n') line++;
                    i++;
                }
                if (i >= text.Length) break;
                atRowStart = false;
                rowLine = line;
            }
            var c = i < text.Length ? text[i] : '\n';
            if (quoted)
            {
                if (i >= text.Length)
                    throw new HoldoutException($"'{source}' line {rowLine}: a quoted field never closes. Close the quote (\") or remove it.");
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 && !fieldWasQuoted:
                    quoted = fieldWasQuoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldWasQuoted = false;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n' or '\r':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldWasQuoted = false;
                    rows.Add(new CsvRow(rowLine, [.. fields]));
                    fields.Clear();
                    if (c == '\n') line++;
                    atRowStart = true;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }
        return rows;
    }

    /// <summary>
    /// Quotes a field when it holds a comma, a quote or a line break (RFC 4180), or starts with '#' (which would
    /// otherwise read as a comment line) or with white space (which readers trim).
    /// </summary>
    public static string Escape(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 || field.StartsWith('#') || (field.Length > 0 && char.IsWhiteSpace(field[0])) ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>A path written relative to <paramref name="folder"/> with '/' separators when it lies under it, else absolute.</summary>
    public static string RelativePath(string folder, string path)
    {
        var relative = System.IO.Path.GetRelativePath(folder, path);
        if (System.IO.Path.IsPathRooted(relative) || relative.StartsWith("..", StringComparison.Ordinal))
        {
            return System.IO.Path.GetFullPath(path);
        }
        return relative.Replace(System.IO.Path.DirectorySeparatorChar, '/');
    }
}
