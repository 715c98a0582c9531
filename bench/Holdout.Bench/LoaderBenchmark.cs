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
/// peer's definitions (bench/README.md, "loader"): every image under each folder (default: the committed
/// sample samples/beans; <c>--folders A,B</c>), batch 32, 224x224,
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
        var workers = Options.Int(args, "--workers", 2);
        var passes = Options.Int(args, "--passes", 6);
        var rounds = Options.Int(args, "--rounds", 1);
        var python = Peers.Python(args);
        // Default: the committed sample; the published tables used ../shared/datasets/beans-fullres-test,../shared/datasets/beans.
        var folders = (Options.Get(args, "--folders") ?? Path.Combine(Repository.Root, "samples", "beans")).Split(',').Select(Path.GetFullPath).ToList();
        foreach (var folder in folders.Where(f => !Directory.Exists(f)))
            throw new BenchException($"--folders: {folder} is not a folder (for the published numbers: --folders ../shared/datasets/beans-fullres-test,../shared/datasets/beans)");
        Peers.RequirePyTorch(python);
        var rows = new List<string[]>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var folder in folders)
            {
                var name = Path.GetFileName(folder);
                foreach (var transform in new[] { "train", "eval" })
                {
                    var ours = RunChild(workers, passes, folder, transform);
                    var theirs = RunPeer(python, folder, workers, passes, transform);
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
        var folder = Options.Get(args, "--folder")!;
        var transform = Options.Get(args, "--transform")!;
        var workers = Options.Int(args, "--workers", 2);
        var passes = Options.Int(args, "--passes", 6);
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
        // This same bench in a fresh process (dotnet Holdout.Bench.dll ..., or the apphost).
        var file = Environment.ProcessPath!;
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(file) == "dotnet") arguments.Add(typeof(LoaderBenchmark).Assembly.Location);
        arguments.AddRange(["loader-one", "--folder", folder, "--transform", transform, "--workers", $"{workers}", "--passes", $"{passes}"]);
        var stdout = PeerProcess.Run("the Holdout loader child", file, arguments, TimeSpan.FromMinutes(20)).Stdout;
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                   ?? throw new BenchException($"the Holdout loader child printed no RESULT line:\n{stdout}");
        return JsonNode.Parse(line[7..])!;
    }

    private static JsonNode RunPeer(string python, string folder, int workers, int passes, string transform)
    {
        var out_ = Path.Combine(Path.GetTempPath(), $"holdout-bench-peer-{Guid.NewGuid():N}.json");
        Peers.RunPyTorch(python, "loader", "--folder", folder, "--workers", $"{workers}", "--passes", $"{passes}", "--transform", transform, "--out", out_);
        var json = JsonNode.Parse(File.ReadAllText(out_))!;
        File.Delete(out_);
        return json["transforms"]![transform]!;
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
}
