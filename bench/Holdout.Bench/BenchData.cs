using System.Globalization;
using System.Text;
using Holdout.Data;
using Holdout.Runs;

namespace Holdout.Bench;

/// <summary>
/// The images a peer benchmark runs on and the one split that Holdout and the peers both read. <c>--data DIR</c> names
/// a folder-per-class dataset; without it the committed sample <c>samples/beans</c> (900 images) is used, so the bench
/// runs from a fresh clone. When DIR is the full beans set (<c>train/</c> + <c>test/</c> holding every file of the
/// reference lists in <c>bench/peers/splits/beans.*.txt</c>, 991/176/128) those lists are used, so numbers compare with
/// the published ones; otherwise Holdout's own splitter splits DIR (70/15/15, seed 42, near-duplicates kept together:
/// the split <c>holdout train DIR</c> makes). Either way the split is written as the peers' lists
/// (<c>&lt;work&gt;/splits/bench.{train,val,test}.txt</c> + <c>bench.root</c>) and as a Holdout CSV manifest.
/// </summary>
/// <param name="Root">The dataset folder.</param>
/// <param name="Splits">The peers' split-list folder.</param>
/// <param name="Name">The split lists' name (the peers' <c>--dataset</c>).</param>
/// <param name="Manifest">The same split as a Holdout CSV manifest (path,label,split).</param>
/// <param name="Description">One line: which data, which split, the counts.</param>
internal sealed record BenchData(string Root, string Splits, string Name, string Manifest, string Description)
{
    /// <summary>The split lists' name.</summary>
    public const string ListName = "bench";

    /// <summary>Resolves <c>--data</c> (or the sample), splits it and writes the lists under <paramref name="work"/>.</summary>
    /// <exception cref="BenchException">The folder is missing.</exception>
    public static BenchData Prepare(string[] args, string work)
    {
        var given = Options.Get(args, "--data");
        var root = Path.GetFullPath(given ?? Path.Combine(Repository.Root, "samples", "beans"));
        if (!Directory.Exists(root))
            throw new BenchException(given is null
                ? $"the sample dataset {root} is missing from this clone; pass --data DIR (a folder with one subfolder per class)"
                : $"--data {given}: no such folder. For the full numbers use the beans set (../shared/datasets/beans beside the clone, " +
                  "train/ and test/ with one subfolder per class); without --data the committed sample samples/beans is used.");
        var splits = Path.Combine(work, "splits");
        Directory.CreateDirectory(splits);
        var rows = ReferenceRows(root, out var source) ?? HoldoutSplit(root, out source);
        foreach (var part in new[] { "train", "val", "test" })
        {
            File.WriteAllLines(Path.Combine(splits, $"{ListName}.{part}.txt"),
                rows.Where(r => r.Part == part).Select(r => $"{r.Relative}\t{r.Label}"));
        }
        File.WriteAllText(Path.Combine(splits, $"{ListName}.root"), root + "\n");
        var manifest = Path.Combine(work, "split.csv");
        var csv = new StringBuilder("path,label,split\n");
        foreach (var r in rows)
            csv.Append(Csv(Path.Combine(root, r.Relative))).Append(',').Append(Csv(r.Label)).Append(',').Append(r.Part).Append('\n');
        File.WriteAllText(manifest, csv.ToString());
        string count(string part) => rows.Count(r => r.Part == part).ToString(CultureInfo.InvariantCulture);
        var description = $"Data: {root}{(given is null ? " (the committed sample; --data DIR for another set, e.g. ../shared/datasets/beans)" : "")}, " +
                          $"{rows.Select(r => r.Label).Distinct().Count()} classes, split {count("train")}/{count("val")}/{count("test")} ({source})";
        return new BenchData(root, splits, ListName, manifest, description);
    }

    /// <summary><c>splits [--data DIR] [--out DIR]</c>: writes the split the peer benchmarks use, to run the peers by hand on it.</summary>
    public static int Write(string[] args)
    {
        var work = Options.Get(args, "--out") is { } given ? Directory.CreateDirectory(given).FullName
                                                            : Directory.CreateTempSubdirectory("holdout-bench-splits-").FullName;
        var data = Prepare(args, work);
        Console.WriteLine(data.Description);
        Console.WriteLine($"Peer split lists: {data.Splits}/{data.Name}.{{train,val,test}}.txt + {data.Name}.root");
        Console.WriteLine($"Holdout manifest: {data.Manifest}");
        Console.WriteLine($"e.g. /usr/bin/python3 bench/peers/pytorch_peer.py train --dataset {data.Name} --splits {data.Splits} --recipe frozen");
        return 0;
    }

    private sealed record Row(string Relative, string Label, string Part);

    /// <summary>The committed beans reference lists, when every file they name is under <paramref name="root"/>.</summary>
    private static List<Row>? ReferenceRows(string root, out string source)
    {
        source = "bench/peers/splits/beans.*.txt, the reference beans split";
        var rows = new List<Row>();
        foreach (var part in new[] { "train", "val", "test" })
        {
            var list = Path.Combine(Peers.Folder, "splits", $"beans.{part}.txt");
            if (!File.Exists(list)) return null;
            foreach (var line in File.ReadLines(list).Where(l => l.Length > 0))
            {
                var cells = line.Split('\t');
                if (!File.Exists(Path.Combine(root, cells[0]))) return null;
                rows.Add(new Row(cells[0], cells[1], part));
            }
        }
        return rows;
    }

    /// <summary>Holdout's own split of <paramref name="root"/> (the CLI's defaults: 70/15/15, seed 42, or the folder's own train/test).</summary>
    private static List<Row> HoldoutSplit(string root, out string source)
    {
        var data = RunData.Prepare(new TrainRunOptions(Data: root, Workers: 2));
        source = data.Split.Seed is { } seed
            ? $"Holdout's splitter, {data.Split.Ratios}, seed {seed.ToString(CultureInfo.InvariantCulture)}"
            : "the folder's own train/val/test, as Holdout reads it";
        return data.Split.Entries.Select(e => new Row(
            Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(root, e.Path))).Replace('\\', '/'), e.Label,
            e.Split switch { DataSplit.Train => "train", DataSplit.Validation => "val", _ => "test" })).ToList();
    }

    private static string Csv(string cell) => cell.Contains(',') || cell.Contains('"') ? $"\"{cell.Replace("\"", "\"\"")}\"" : cell;
}
