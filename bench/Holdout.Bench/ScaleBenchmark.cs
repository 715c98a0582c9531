using System.Globalization;
using System.Text.Json.Nodes;

namespace Holdout.Bench;

/// <summary>
/// Data-parallel scaling on this machine: the same ResNet-18 fine-tune (the default recipe from the bundled ImageNet
/// weights: linear probe, then all-layers epochs; no early stopping, no fine-tune gate) with 1 rank on one core against
/// N ranks on N cores, each rank bound to its core by mpirun with one engine thread (<c>OMP_NUM_THREADS=1</c>) and one
/// decoding worker. Prints each run's all-layers training img/s (its training batches, data waits included), the
/// speed-up, the efficiency (speed-up / N) and the share of rank 0's training-batch time spent in collectives (the
/// gradient allreduce, the step's sums, waiting for the slowest rank).
/// </summary>
internal static class ScaleBenchmark
{
    public static int Run(string[] args)
    {
        var ranks = Options.Int(args, "--ranks", 2);
        var epochs = Options.Int(args, "--epochs", 2);
        var size = Options.Int(args, "--size", 224);
        var batch = Options.Int(args, "--batch", 32);
        var precision = Options.Get(args, "--precision") ?? "fp32";
        var mpirun = Options.Get(args, "--mpirun") ?? "mpirun";
        BenchHost.Print();
        var cli = Peers.HoldoutCli(args);
        var work = Directory.CreateTempSubdirectory("holdout-bench-scale-").FullName;
        var data = BenchData.Prepare(args, work);
        Console.WriteLine(data.Description);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ResNet-18 fine-tune from the bundled weights (the default recipe: linear probe, then {epochs} all-layers epochs, measured), {size} px, global batch {batch}, precision {precision}; each rank bound to one core, OMP_NUM_THREADS=1, --workers 1"));
        var results = new List<(int Ranks, double ImagesPerSecond, double? CollectiveShare, double Seconds)>();
        foreach (var n in new[] { 1, ranks })
        {
            var run = Path.Combine(work, $"ranks{n}");
            List<string> launch = ["-n", n.ToString(CultureInfo.InvariantCulture), "--bind-to", "core", "-x", "OMP_NUM_THREADS=1"];
            if (Environment.UserName == "root") launch.Insert(0, "--allow-run-as-root");
            var seconds = PeerProcess.Run($"mpirun -n {n} holdout train", mpirun,
                [.. launch, "dotnet", cli, "train", data.Manifest, "--model", "resnet18", "--recipe", "fine-tune", "--fine-tune-gate", "off",
                 "--epochs", (epochs + 1).ToString(CultureInfo.InvariantCulture), "--patience", "0", "--image-size", size.ToString(CultureInfo.InvariantCulture),
                 "--batch-size", batch.ToString(CultureInfo.InvariantCulture), "--precision", precision, "--workers", "1", "--seed", "0", "--out", run],
                TimeSpan.FromMinutes(60)).Seconds;
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
            var imagesPerSecond = summary["throughput"]!["train_images_per_s_by_phase"]!.AsObject()
                .First(p => p.Key.StartsWith("all layers", StringComparison.Ordinal)).Value!.GetValue<double>();
            // The collectives of training steps are those of the all-layers epochs (the probe's features are gathered
            // outside steps): their share of that phase's time.
            var phaseSeconds = epochs * summary["train"]!["images"]!.GetValue<double>() / imagesPerSecond;
            double? share = summary["distributed"] is { } d ? d["rank0_training_collective_seconds"]!.GetValue<double>() / phaseSeconds : null;
            results.Add((n, imagesPerSecond, share, seconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n} rank{(n > 1 ? "s" : "")}: training {imagesPerSecond:0.00} img/s; {(share is { } s ? $"collectives {s:0.0%} of rank 0's all-layers time; " : "")}whole command {seconds:0.0} s; test accuracy {summary["test"]?["accuracy"]}"));
        }
        var (one, many) = (results[0], results[^1]);
        var speedUp = many.ImagesPerSecond / one.ImagesPerSecond;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{many.Ranks} ranks vs 1 rank: {speedUp:0.00}x training img/s, efficiency {speedUp / many.Ranks:0%} (target >= {0.85 * many.Ranks:0.0}x)"));
        var bench = typeof(ScaleBenchmark).Assembly.Location;
        List<string> probe = ["-n", ranks.ToString(CultureInfo.InvariantCulture), "--bind-to", "core", "dotnet", bench, "allreduce"];
        if (Environment.UserName == "root") probe.Insert(0, "--allow-run-as-root");
        Console.Write(PeerProcess.Run($"mpirun -n {ranks} allreduce probe", mpirun, probe, TimeSpan.FromMinutes(10)).Stdout);
        return 0;
    }
}

/// <summary>
/// The allreduce the gradient sums use (<see cref="Holdout.Distributed.ProcessGroup.Sum(Span{float})"/>), timed under
/// mpirun for message sizes from 1 to 64 MB, in the 4 MB pieces training sends; rank 0 prints ms per call and MB/s.
/// <c>bench scale</c> runs it with its ranks; docs/scaling.md is calibrated with it.
/// </summary>
internal static class AllreduceProbe
{
    public static int Run(string[] args)
    {
        using var group = Holdout.Distributed.ProcessGroup.JoinFromEnvironment();
        if (group.Size < 2) throw new BenchException("run it under mpirun with 2 or more ranks: mpirun -n 2 dotnet Holdout.Bench.dll allreduce");
        const int piece = 1 << 20; // floats: 4 MB
        foreach (var megabytes in new[] { 1, 4, 16, 46.8, 64 })
        {
            var values = new float[(int)(megabytes * 1e6 / sizeof(float))];
            Array.Fill(values, group.Rank + 1);
            void Once()
            {
                for (int start = 0; start < values.Length; start += piece)
                    group.Sum(values.AsSpan(start, Math.Min(piece, values.Length - start)));
            }
            Once();
            group.Barrier();
            const int repeats = 5;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int r = 0; r < repeats; r++) Once();
            var seconds = clock.Elapsed.TotalSeconds / repeats;
            if (group.IsRoot)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"allreduce {megabytes:0.#} MB float32 over {group.Size} ranks ({string.Join(", ", group.Hosts.Distinct())}): {seconds * 1000:0.0} ms ({megabytes / seconds:0} MB/s)"));
        }
        return 0;
    }
}
