using System.Globalization;
using System.Text.Json.Nodes;

namespace Holdout.Bench;

/// <summary>
/// The frozen recipe end to end against the ML.NET peer (featurise once with the same ResNet-18 + L-BFGS maximum
/// entropy), on the peers' beans split: wall time of each whole command, from start to its result file, one after the
/// other in the same session, and test accuracy.
/// </summary>
internal static class FrozenBenchmark
{
    public static int Run(string[] args)
    {
        var shared = LoaderBenchmark.Option(args, "--shared") ?? LoaderBenchmark.LocateShared();
        var peer = LoaderBenchmark.Option(args, "--mlnet-peer") ?? "/tmp/peers-build/bin/mlnet-peer/release/mlnet-peer";
        var cli = LoaderBenchmark.Option(args, "--cli") ?? Path.Combine(LoaderBenchmark.LocateRepository(), "src/Holdout.Cli/bin/Release/net10.0/Holdout.Cli.dll");
        var rounds = int.Parse(LoaderBenchmark.Option(args, "--rounds") ?? "1", CultureInfo.InvariantCulture);
        if (!File.Exists(peer))
            throw new InvalidOperationException($"The ML.NET peer is not built at {peer}: dotnet build {shared}/peers/mlnet-peer/mlnet-peer.csproj -c Release --artifacts-path /tmp/peers-build");
        var work = Directory.CreateTempSubdirectory("holdout-bench-frozen-").FullName;
        var manifest = TrainingBenchmark.WriteManifest(Path.Combine(shared, "peers", "splits"), Path.Combine(work, "beans.csv"));
        var precision = LoaderBenchmark.Option(args, "--precision") ?? "auto";
        BenchHost.Print();
        Console.WriteLine($"Frozen recipe end to end on the peers' beans split (991/176/128), {Environment.ProcessorCount} cores, one command at a time");
        for (int round = 1; round <= rounds; round++)
        {
            var run = Path.Combine(work, $"run{round}");
            var (ours, _) = PeerProcess.Run("dotnet", cli, "train", manifest, "--recipe", "frozen", "--augment", "none", "--seed", "0", "--precision", precision, "--out", run);
            BenchHost.PrintRunPrecision(run);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
            var ourTest = summary["test"]!["accuracy"]!.GetValue<double>();
            var peerJson = Path.Combine(work, $"mlnet{round}.json");
            var (theirs, _) = PeerProcess.Run(peer, "run", "beans", Path.Combine(shared, "peers", "splits"), peerJson);
            var peerResult = JsonNode.Parse(File.ReadAllText(peerJson))!;
            var peerTest = PeerTestAccuracy(peerResult);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: Holdout {ours:0.0} s (test accuracy {ourTest:0.0000}, precision {summary["precision"]}) | ML.NET peer {theirs:0.0} s (test accuracy {peerTest:0.0000}) | " +
                $"Holdout / peer wall time {ours / theirs:0.00} (target <= 0.67), speed-up {theirs / ours:0.00}x"));
        }
        return 0;
    }

    /// <summary>The peer's L-BFGS maximum-entropy test accuracy (its first trainer).</summary>
    private static double PeerTestAccuracy(JsonNode result)
    {
        foreach (var node in result.AsObject().Select(kv => kv.Value).OfType<JsonArray>().SelectMany(a => a))
            if (node?["trainer"]?.GetValue<string>() is { } name && name.Contains("Lbfgs", StringComparison.OrdinalIgnoreCase))
                return node["test_acc"]!.GetValue<double>();
        return result["test_acc"]?.GetValue<double>() ?? double.NaN;
    }
}
