namespace Holdout.Data;

/// <summary>One CSV record: the line it starts on and its fields.</summary>
/// <param name="Line">1-based line number of the record's first line.</param>
/// <param name="Fields">The fields, unquoted.</param>
internal sealed record CsvRow(int Line, IReadOnlyList<string> Fields)
{
    /// <summary>The field at <paramref name="index"/>, trimmed, or "" when the row is shorter.</summary>
    public string this[int index] => index >= 0 && index < Fields.Count ? Fields[index].Trim() : "";

    /// <summary>The record as it would be written, for messages.</summary>
    public override string ToString() => string.Join(",", Fields.Select(CsvTable.Escape));
}
