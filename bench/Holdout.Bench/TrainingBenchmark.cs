using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Bench;

/// <summary>
/// Training throughput of the fine-tune recipe (bundled ResNet-18, 224x224, batch 32, 2 workers, the peers' beans
/// split lists), Holdout against the PyTorch peer (<c>pytorch_peer.py train --recipe finetune</c>), one after the
/// other in the same session. Both count training images / seconds in the training loop, data waits included.
/// </summary>
internal static class TrainingBenchmark
{
    public static int Run(string[] args)
    {
        var shared = LoaderBenchmark.Option(args, "--shared") ?? LoaderBenchmark.LocateShared();
        var epochs = int.Parse(LoaderBenchmark.Option(args, "--epochs") ?? "2", CultureInfo.InvariantCulture);
        var python = LoaderBenchmark.Option(args, "--python") ?? "/usr/bin/python3";
        var skipPeer = args.Contains("--no-peer");
        var precision = OptionNames.Parse<Precision>("--precision", LoaderBenchmark.Option(args, "--precision") ?? "auto");
        var work = Directory.CreateTempSubdirectory("holdout-bench-train-").FullName;
        var manifest = WriteManifest(Path.Combine(shared, "peers", "splits"), Path.Combine(work, "beans.csv"));

        BenchHost.Print();
        Console.WriteLine($"Fine-tune training throughput: resnet18 (bundled), 224x224, batch 32, 2 workers, {epochs} epochs (1 head + {epochs - 1} all layers), {Environment.ProcessorCount} cores");
        var clock = Stopwatch.StartNew();
        var result = TrainingRun.Start(new TrainRunOptions(Data: manifest, Model: Architecture.ResNet18, Epochs: epochs, FreezeEpochs: 1, BatchSize: 32,
            ImageSize: 224, Augment: "light", Seed: 0, Patience: 0, Workers: 2, Precision: precision, Out: Path.Combine(work, "run")));
        BenchHost.PrintRunPrecision(Path.Combine(work, "run"));
        var throughput = result.Summary["throughput"]!;
        var ours = throughput["train_images_per_s"]!.GetValue<double>();
        // The last phase is the all-layers one (the first is the probe or the head epochs).
        var ourFull = throughput["train_images_per_s_by_phase"]!.AsObject().Last().Value!.GetValue<double>();
        var ourTest = result.Metrics[Holdout.Data.DataSplit.Test].Accuracy;
        Console.WriteLine($"Holdout: train {ours:0.0} img/s (full phase {ourFull:0.0}), test accuracy {ourTest:0.0000}, {clock.Elapsed.TotalSeconds:0} s");
        if (skipPeer) return 0;

        var peerOut = Path.Combine(work, "peer.json");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(shared, "peers", "pytorch_peer.py"), "train", "--dataset", "beans", "--recipe", "finetune",
                                  "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--workers", "2", "--out", peerOut })
            start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"the PyTorch peer failed: {stderr.Result}");
        }
        var peer = JsonNode.Parse(File.ReadAllText(peerOut))!;
        var theirs = peer["train_img_s"]!.GetValue<double>();
        Console.WriteLine($"PyTorch 1.13 peer: train {theirs:0.0} img/s (head phase {peer["train_img_s_head_phase"]}, full phase {peer["train_img_s_full_phase"]}), test accuracy {peer["final"]?["test_acc"]}");
        var theirFull = peer["train_img_s_full_phase"]!.GetValue<double>();
        Console.WriteLine($"ratio Holdout / peer: end to end {ours / theirs:0.00}x, full phase {ourFull / theirFull:0.00}x (target >= 1.50x each)");
        return 0;
    }

    /// <summary>The peers' split lists (path relative to the root, TAB, label) as a Holdout CSV manifest with a split column.</summary>
    internal static string WriteManifest(string splits, string path)
    {
        var root = File.ReadAllText(Path.Combine(splits, "beans.root")).Trim();
        root = Path.GetFullPath(Path.IsPathRooted(root) ? root : Path.Combine(splits, root));
        var csv = new StringBuilder("path,label,split\n");
        foreach (var (file, split) in new[] { ("train", "train"), ("val", "val"), ("test", "test") })
        {
            foreach (var line in File.ReadAllLines(Path.Combine(splits, $"beans.{file}.txt")).Where(l => l.Length > 0))
            {
                var parts = line.Split('\t');
                csv.Append(Path.Combine(root, parts[0])).Append(',').Append(parts[1]).Append(',').Append(split).Append('\n');
            }
        }
        File.WriteAllText(path, csv.ToString());
        return path;
    }
}
