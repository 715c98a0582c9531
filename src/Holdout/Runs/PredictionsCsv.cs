using System.Globalization;
using System.Text;
using Holdout.Data;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Reads and writes a split's predictions (<c>predictions-test.csv</c> in a run folder): one line per image with its
/// path, true label, predicted label and the probability of every class, so reports and comparisons can be rebuilt
/// without the model.
/// </summary>
internal static class PredictionsCsv
{
    /// <summary>One image's prediction.</summary>
    /// <param name="Path">The image file.</param>
    /// <param name="Label">The true class index.</param>
    /// <param name="Probabilities">The probability of each class.</param>
    internal sealed record Row(string Path, int Label, float[] Probabilities);

    /// <summary>Writes the rows atomically. Header: <c>path,label,predicted,p:&lt;class&gt;...</c>.</summary>
    public static void Write(string path, IReadOnlyList<string> classNames, IReadOnlyList<string> imagePaths, Predictions predictions)
    {
        var text = new StringBuilder("path,label,predicted");
        foreach (var name in classNames) text.Append(",p:").Append(Quote(name));
        text.Append('\n');
        var predicted = predictions.Predicted;
        for (int i = 0; i < predictions.Count; i++)
        {
            text.Append(Quote(imagePaths[i])).Append(',').Append(Quote(classNames[predictions.Labels[i]])).Append(',').Append(Quote(classNames[predicted[i]]));
            foreach (var p in predictions.Probabilities[i]) text.Append(',').Append(p.ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>Reads the rows and class names back.</summary>
    /// <exception cref="HoldoutException">The file is missing or malformed; the message names the file and line.</exception>
    public static (IReadOnlyList<string> ClassNames, IReadOnlyList<Row> Rows) Read(string path)
    {
        if (!File.Exists(path)) throw new HoldoutException($"'{path}' does not exist. It is written at the end of 'holdout train'; re-run 'holdout evaluate RUN' to create it.");
        var table = CsvTable.Read(path);
        var header = table.Rows.Count == 0 ? [] : table.Rows[0].Fields;
        if (header.Count < 3 || header[0] != "path" || header[1] != "label" || header[2] != "predicted")
            throw new HoldoutException($"'{path}' is not a predictions file: expected the header 'path,label,predicted,p:<class>...'.");
        var classes = header.Skip(3).Select(h => h.StartsWith("p:", StringComparison.Ordinal) ? h[2..] : h).ToList();
        var rows = new List<Row>();
        foreach (var cells in table.Rows.Skip(1))
        {
            int label = classes.IndexOf(cells.Fields.Count > 1 ? cells.Fields[1] : "");
            if (cells.Fields.Count != 3 + classes.Count || label < 0
                || !cells.Fields.Skip(3).All(c => float.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
                throw new HoldoutException($"'{path}' line {cells.Line} is malformed: expected path, a known label, the prediction and {classes.Count} probabilities.");
            rows.Add(new Row(cells.Fields[0], label, [.. cells.Fields.Skip(3).Select(c => float.Parse(c, CultureInfo.InvariantCulture))]));
        }
        return (classes, rows);
    }

    private static string Quote(string value) => CsvTable.Escape(value);
}
