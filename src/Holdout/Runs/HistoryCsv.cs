using System.Globalization;
using System.Text;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Reads and writes a run's <c>history.csv</c>: one line per epoch under the header
/// <c>epoch,loss,acc,val_loss,val_acc,lr,seconds</c>, numbers in the invariant culture and doubles in round-trip
/// form, so what is read back equals what was written, bit for bit.
/// </summary>
internal static class HistoryCsv
{
    /// <summary>The header line of <c>history.csv</c>.</summary>
    public const string Header = "epoch,loss,acc,val_loss,val_acc,lr,seconds";

    /// <summary>Formats the records as CSV text (header, then one line per record, each ending in a newline).</summary>
    /// <param name="records">The epochs, in the order to write them.</param>
    public static string Format(IEnumerable<EpochRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var text = new StringBuilder(Header).Append('\n');
        foreach (var r in records)
        {
            text.Append(r.Epoch.ToString(CultureInfo.InvariantCulture));
            foreach (var value in new[] { r.Loss, r.Accuracy, r.ValLoss, r.ValAccuracy, r.LearningRate, r.Seconds })
                text.Append(',').Append(value.ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Atomically writes the records to <paramref name="path"/> (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file to write, usually <c>RUN/history.csv</c>; folders are created.</param>
    /// <param name="records">The epochs, in order.</param>
    public static void Write(string path, IEnumerable<EpochRecord> records) => AtomicFile.WriteAllText(path, Format(records));

    /// <summary>Reads the records from <paramref name="path"/>.</summary>
    /// <param name="path">A <c>history.csv</c> written by <see cref="Write"/>.</param>
    /// <exception cref="HoldoutException">The file is missing or is not a history file; the message names the file
    /// and line.</exception>
    public static IReadOnlyList<EpochRecord> Read(string path)
    {
        if (!File.Exists(path))
            throw new HoldoutException($"History file '{path}' does not exist. Expected the history.csv of a training run; check the run folder, or train again.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses CSV text in the <c>history.csv</c> format.</summary>
    /// <param name="text">The file's content.</param>
    /// <param name="source">Name of the file, for error messages. Defaults to "history.csv".</param>
    /// <exception cref="HoldoutException">The header or a line is not as expected.</exception>
    public static IReadOnlyList<EpochRecord> Parse(string text, string source = "history.csv")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0 || lines[0] != Header)
            throw new HoldoutException($"'{source}' is not a history file: its first line is '{(lines.Count == 0 ? "" : lines[0])}', expected '{Header}'. Point at the history.csv a training run wrote.");
        var records = new List<EpochRecord>(lines.Count - 1);
        for (var i = 1; i < lines.Count; i++)
        {
            var fields = lines[i].Split(',');
            if (fields.Length != 7
                || !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
                || !TryDoubles(fields.AsSpan(1), out var values))
                throw new HoldoutException($"'{source}' line {i + 1} is '{lines[i]}'; expected 7 comma-separated numbers ({Header}). The file may be damaged; retrain or fix that line.");
            records.Add(new EpochRecord(epoch, values[0], values[1], values[2], values[3], values[4], values[5]));
        }
        return records;
    }

    private static bool TryDoubles(ReadOnlySpan<string> fields, out double[] values)
    {
        values = new double[fields.Length];
        for (var i = 0; i < fields.Length; i++)
            if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])) return false;
        return true;
    }
}
