using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Imaging;
using Holdout.Native;
using TorchSharp;

namespace Holdout.Bench;

/// <summary>
/// Loader throughput, Holdout vs the PyTorch DataLoader peer, measured back to back in the same session with the
/// peer's definitions (shared/peers/README.md, "loader img/s"): every image under the folder, batch 32, 224x224,
/// normalised float32 batch tensors (BGR minus the CNTK ResNet means); train = random resized crop + horizontal flip
/// in a shuffled order, eval = resize 256 + centre crop 224 in a fixed order, last partial batch included. Each
/// transform runs in its own fresh process; every file is read once first (page cache); 6 passes = the first + 5
/// warm ones (images / seconds over passes 2-6 together).
/// </summary>
internal static class LoaderBenchmark
{
    private const int BatchSize = 32;
    private const int InputSize = 224;

    public static int Run(string[] args)
    {
        var shared = Option(args, "--shared") ?? LocateShared();
        var workers = int.Parse(Option(args, "--workers") ?? "2", CultureInfo.InvariantCulture);
        var passes = int.Parse(Option(args, "--passes") ?? "6", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option(args, "--rounds") ?? "1", CultureInfo.InvariantCulture);
        var python = Option(args, "--python") ?? "/usr/bin/python3";
        var folders = (Option(args, "--folders") ?? "beans-fullres-test,beans").Split(',');
        var peer = Path.Combine(shared, "peers", "pytorch_peer.py");
        var rows = new List<string[]>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var name in folders)
            {
                var folder = Path.Combine(shared, "datasets", name);
                foreach (var transform in new[] { "train", "eval" })
                {
                    var ours = RunChild(workers, passes, folder, transform);
                    var theirs = RunPeer(python, peer, folder, workers, passes, transform);
                    rows.Add(Row(name, transform, round, ours, theirs));
                    Console.WriteLine(string.Join(" | ", rows[^1]));
                }
            }
        }
        Console.WriteLine();
        BenchHost.Print();
        Console.WriteLine("Precision: none involved (decode, transform and batching only; no model runs)");
        Console.WriteLine($"Loader img/s, batch {BatchSize}, {InputSize}x{InputSize}, {workers} workers, {Environment.ProcessorCount} cores (shared machine: single passes vary by up to ~20 %; compare the ratios)");
        Console.WriteLine("| images | transform | round | Holdout first | PyTorch first | ratio | Holdout warm | PyTorch warm | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
        }
        return 0;
    }

    /// <summary>One transform in this (fresh) process; prints one JSON line.</summary>
    public static int RunOne(string[] args)
    {
        var folder = Option(args, "--folder")!;
        var transform = Option(args, "--transform")!;
        var workers = int.Parse(Option(args, "--workers") ?? "2", CultureInfo.InvariantCulture);
        var passes = int.Parse(Option(args, "--passes") ?? "6", CultureInfo.InvariantCulture);
        NativeRuntime.EnsureInitialized();
        torch.set_num_threads(2);
        var dataset = DatasetDiscovery.Discover(folder, new DiscoveryOptions(Workers: workers));
        foreach (var sample in dataset.Samples)
        {
            _ = File.ReadAllBytes(sample.Path);
        }
        var preprocessing = Preprocessing.CntkResNet(InputSize);
        var options = new BatchLoaderOptions(BatchSize, workers, PrefetchBatches: 2, Augmentation: AugmentationOptions.TorchvisionCropAndFlip, Seed: 0);
        var loader = transform == "train"
            ? BatchLoader.ForTraining(dataset.Samples, preprocessing, options)
            : BatchLoader.ForEvaluation(dataset.Samples, preprocessing, options);
        var seconds = new List<double>();
        var images = 0;
        for (var pass = 0; pass < passes; pass++)
        {
            images = 0;
            var clock = Stopwatch.StartNew();
            foreach (var batch in loader.Batches(pass))
            {
                using var disposeBatch = batch;
                if (batch.Images.dtype != torch.ScalarType.Float32 || batch.Images.shape[1] != 3 || batch.Images.shape[2] != InputSize)
                {
                    throw new InvalidOperationException("unexpected batch shape");
                }
                images += batch.Count;
            }
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var warmSeconds = seconds.Skip(1).Sum();
        var result = new JsonObject
        {
            ["images"] = images,
            ["first_pass_img_s"] = images / seconds[0],
            ["warm_img_s"] = passes > 1 ? images * (passes - 1) / warmSeconds : null,
            ["passes_img_s"] = new JsonArray(seconds.Select(s => (JsonNode)(images / s)).ToArray()),
        };
        Console.WriteLine("RESULT " + result.ToJsonString());
        return 0;
    }

    private static JsonNode RunChild(int workers, int passes, string folder, string transform)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        var self = typeof(LoaderBenchmark).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(self);
        }
        foreach (var a in new[] { "loader-one", "--folder", folder, "--transform", transform, "--workers", $"{workers}", "--passes", $"{passes}" })
        {
            start.ArgumentList.Add(a);
        }
        return ResultOf(start, "Holdout loader");
    }

    private static JsonNode RunPeer(string python, string peer, string folder, int workers, int passes, string transform)
    {
        var out_ = Path.Combine(Path.GetTempPath(), $"holdout-bench-peer-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { peer, "loader", "--folder", folder, "--workers", $"{workers}", "--passes", $"{passes}", "--transform", transform, "--out", out_ })
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(out_))
        {
            throw new InvalidOperationException($"PyTorch peer failed ({process.ExitCode}); it needs apt-get install -y python3-torch python3-torchvision python3-pil ...:\n{stdout.Result}\n{stderr}");
        }
        var json = JsonNode.Parse(File.ReadAllText(out_))!;
        File.Delete(out_);
        return json["transforms"]![transform]!;
    }

    private static JsonNode ResultOf(ProcessStartInfo start, string what)
    {
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"{what} failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        }
        return JsonNode.Parse(line[7..])!;
    }

    private static string[] Row(string name, string transform, int round, JsonNode ours, JsonNode theirs)
    {
        double of(JsonNode n, string key) => n[key]!.GetValue<double>();
        string f(double v) => v.ToString("0", CultureInfo.InvariantCulture);
        string r(double a, double b) => (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "x";
        var (oursFirst, theirsFirst) = (of(ours, "first_pass_img_s"), of(theirs, "first_pass_img_s"));
        var (oursWarm, theirsWarm) = (of(ours, "warm_img_s"), of(theirs, "warm_img_s"));
        return [name, transform, $"{round}", f(oursFirst), f(theirsFirst), r(oursFirst, theirsFirst), f(oursWarm), f(theirsWarm), r(oursWarm, theirsWarm)];
    }

    internal static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>shared/ beside the repository: its parent's shared/.</summary>
    internal static string LocateShared() => Path.Combine(Path.GetDirectoryName(LocateRepository())!, "shared");

    /// <summary>The repository clone: walk up from the binaries to the folder holding .git.</summary>
    internal static string LocateRepository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (Directory.Exists(Path.Combine(folder.FullName, ".git")) || File.Exists(Path.Combine(folder.FullName, ".git")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("the repository (a folder holding .git) was not found above the binaries; pass the folders explicitly");
    }
}
