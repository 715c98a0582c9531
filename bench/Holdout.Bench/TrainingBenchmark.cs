using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Bench;

/// <summary>
/// Training throughput of the fine-tune recipe (bundled ResNet-18, 224x224, batch 32, 2 workers, the peers' beans
/// split lists, or the committed sample: <see cref="BenchData"/>), Holdout against the PyTorch peer (<c>pytorch_peer.py train --recipe finetune</c>), one after the
/// other in the same session. Both count training images / seconds in the training loop, data waits included.
/// </summary>
internal static class TrainingBenchmark
{
    public static int Run(string[] args)
    {
        var epochs = Options.Int(args, "--epochs", 2);
        var python = Peers.Python(args);
        var skipPeer = Options.Flag(args, "--no-peer");
        var precision = OptionNames.Parse<Precision>("--precision", Options.Get(args, "--precision") ?? "auto");
        BenchHost.Print();
        if (!skipPeer) Peers.RequirePyTorch(python);
        var work = Directory.CreateTempSubdirectory("holdout-bench-train-").FullName;
        var data = BenchData.Prepare(args, work);
        Console.WriteLine(data.Description);
        Console.WriteLine($"Fine-tune training throughput: resnet18 (bundled), 224x224, batch 32, 2 workers, {epochs} epochs (1 head + {epochs - 1} all layers), {Environment.ProcessorCount} cores");
        var clock = Stopwatch.StartNew();
        var result = TrainingRun.Start(new TrainRunOptions(Data: data.Manifest, Model: Architecture.ResNet18, Epochs: epochs, FreezeEpochs: 1, BatchSize: 32,
            ImageSize: 224, Augment: "light", Seed: 0, Patience: 0, Workers: 2, Precision: precision, Out: Path.Combine(work, "run")));
        BenchHost.PrintRunPrecision(Path.Combine(work, "run"));
        var throughput = result.Summary["throughput"]!;
        var ours = throughput["train_images_per_s"]!.GetValue<double>();
        // The last phase is the all-layers one (the first is the probe or the head epochs).
        var ourFull = throughput["train_images_per_s_by_phase"]!.AsObject().Last().Value!.GetValue<double>();
        var ourTest = result.Metrics[Holdout.Data.DataSplit.Test].Accuracy;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Holdout: train {ours:0.0} img/s (full phase {ourFull:0.0}), test accuracy {ourTest:0.0000}, {clock.Elapsed.TotalSeconds:0} s"));
        if (skipPeer) return 0;

        var peerOut = Path.Combine(work, "peer.json");
        Console.WriteLine($"Running the PyTorch peer: pytorch_peer.py train --recipe finetune --epochs {epochs} (its progress below)");
        Peers.RunPyTorch(python, "train", "--dataset", data.Name, "--splits", data.Splits, "--recipe", "finetune",
            "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--workers", "2", "--out", peerOut);
        var peer = JsonNode.Parse(File.ReadAllText(peerOut))!;
        var theirs = peer["train_img_s"]!.GetValue<double>();
        var theirHead = peer["train_img_s_head_phase"]?.GetValue<double>() ?? double.NaN;
        var theirFull = peer["train_img_s_full_phase"]?.GetValue<double>()
                        ?? throw new BenchException("the PyTorch peer reported no all-layers phase: --epochs must be at least 2");
        var theirTest = peer["final"]?["test_acc"]?.GetValue<double>() ?? double.NaN;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PyTorch {peer["torch"]} peer: train {theirs:0.0} img/s (head phase {theirHead:0.0}, full phase {theirFull:0.0}), test accuracy {theirTest:0.0000}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio Holdout / peer: end to end {ours / theirs:0.00}x, full phase {ourFull / theirFull:0.00}x (target >= 1.50x each)"));
        return 0;
    }
}
