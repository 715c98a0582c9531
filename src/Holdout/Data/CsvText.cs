using System.Text;

namespace Holdout.Data;

/// <summary>Minimal RFC 4180 CSV reading and writing (quoted fields, doubled quotes, commas inside quotes).</summary>
internal static class CsvText
{
    /// <summary>Splits one line into fields.</summary>
    public static List<string> SplitLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
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
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>Quotes a field when it holds a comma, a quote or a line break.</summary>
    public static string Escape(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>A path written relative to <paramref name="folder"/> with '/' separators when it lies under it, else absolute.</summary>
    public static string RelativePath(string folder, string path)
    {
        var relative = Path.GetRelativePath(folder, path);
        if (Path.IsPathRooted(relative) || relative.StartsWith("..", StringComparison.Ordinal))
        {
            return Path.GetFullPath(path);
        }
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}
