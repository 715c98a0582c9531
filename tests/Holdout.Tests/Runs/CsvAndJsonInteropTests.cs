using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Tests.Training;

namespace Holdout.Tests.Runs;

/// <summary>
/// The files of a run folder that other tools read, read by another tool: Python's <c>csv.DictReader</c> takes
/// <c>split.csv</c>, <c>history.csv</c> and <c>predictions-test.csv</c> as plain RFC 4180 CSV with the header on line 1,
/// and Python's <c>json</c>, told to refuse <c>NaN</c>/<c>Infinity</c>, parses every JSON file.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class CsvAndJsonInteropTests
{
    /// <summary>
    /// Reads the three CSV files with csv.DictReader and every *.json with json.loads (refusing the non-standard
    /// constants); prints one JSON document: per CSV its row count, field names and first row (split.csv's path
    /// resolved against the file's folder, as Holdout resolves it), and the JSON files parsed.
    /// </summary>
    private const string Reader = """
        import csv, glob, json, os, sys
        folder = sys.argv[1]
        out = {"csv": {}, "json": []}
        for name in ["split.csv", "history.csv", "predictions-test.csv"]:
            path = os.path.join(folder, name)
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            first = dict(rows[0])
            if name == "split.csv":
                first["path"] = os.path.normpath(os.path.join(os.path.dirname(path), first["path"]))
            out["csv"][name] = {"count": len(rows), "fields": list(rows[0].keys()), "first": first}
        def refuse(token):
            raise ValueError("non-standard JSON token " + token)
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            with open(path, encoding="utf-8") as f:
                json.loads(f.read(), parse_constant=refuse)
            out["json"].append(os.path.basename(path))
        print(json.dumps(out))
        """;

    [PythonModuleFact("csv")]
    public void Should_be_read_by_python_csv_dict_reader_and_json_exactly_as_holdout_reads_them()
    {
        // Given a tiny dataset with an awkward file name (comma, quotes, accent, space) and a run trained on it
        // without validation images, so that every epoch's val_loss is NaN
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 8, size: 32);
        File.Copy(Path.Combine(data, "red", "red_000.png"), Path.Combine(data, "red", "a, \"b\" é.png"));
        var folder = Path.Combine(temp.Path, "run");
        var run = TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, Epochs: 2, BatchSize: 8, ImageSize: 32, Seed: 3,
            Workers: 2, Split: "70/0/30", Patience: 0, Out: folder));

        // When Python reads the run folder's CSV and JSON files
        var python = Python.Run(Reader, folder);

        // Then it reads every file without error
        Assert.True(python.ExitCode == 0, python.Errors);
        var read = JsonNode.Parse(python.Output)!;

        // And split.csv: one row per image, its header fields, and the first row is Holdout's first entry
        var split = SplitManifest.Read(Path.Combine(folder, "split.csv"));
        var splitCsv = read["csv"]!["split.csv"]!;
        Assert.Equal(split.Entries.Count, splitCsv["count"]!.GetValue<int>());
        Assert.Equal(["path", "label", "split", "group"], Fields(splitCsv));
        Assert.Equal(Path.GetFullPath(split.Entries[0].Path), splitCsv["first"]!["path"]!.GetValue<string>());
        Assert.Equal(split.Entries[0].Label, splitCsv["first"]!["label"]!.GetValue<string>());
        Assert.Contains(split.Entries, e => Path.GetFileName(e.Path) == "a, \"b\" é.png");

        // And history.csv: one row per epoch, the missing validation loss as NaN (a float Python's float() reads)
        var historyCsv = read["csv"]!["history.csv"]!;
        Assert.Equal(run.History.Count, historyCsv["count"]!.GetValue<int>());
        Assert.Equal(HistoryCsv.Header.Split(','), Fields(historyCsv));
        Assert.Equal("1", historyCsv["first"]!["epoch"]!.GetValue<string>());
        Assert.Equal(run.History[0].Loss, double.Parse(historyCsv["first"]!["loss"]!.GetValue<string>(), CultureInfo.InvariantCulture));

        // And predictions-test.csv: one row per test image, the first one Holdout's first test image with its probabilities
        var test = split.Samples(DataSplit.Test);
        var predictionsCsv = read["csv"]!["predictions-test.csv"]!;
        Assert.Equal(test.Count, predictionsCsv["count"]!.GetValue<int>());
        Assert.Equal(["path", "label", "predicted", .. TinyImageFolder.Classes.Order(StringComparer.Ordinal).Select(c => "p:" + c)], Fields(predictionsCsv));
        Assert.Equal(test[0].Path, predictionsCsv["first"]!["path"]!.GetValue<string>());
        var probabilities = TinyImageFolder.Classes.Select(c => double.Parse(predictionsCsv["first"]!["p:" + c]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Equal(1.0, probabilities.Sum(), 4);

        // And every JSON file of the run is standard JSON (no NaN or Infinity tokens), the summary among them
        var json = read["json"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("config.json", json);
        Assert.Contains("summary.json", json);
        Assert.Contains("split.json", json);
    }

    private static List<string> Fields(JsonNode file) => [.. file["fields"]!.AsArray().Select(n => n!.GetValue<string>())];
}
