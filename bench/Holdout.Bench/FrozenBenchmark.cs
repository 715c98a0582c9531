using System.Globalization;
using System.Text.Json.Nodes;

namespace Holdout.Bench;

/// <summary>
/// The frozen recipe end to end against the ML.NET peer (featurise once with the same ResNet-18 + L-BFGS maximum
/// entropy), on the beans reference split or the committed sample (<see cref="BenchData"/>): wall time of each whole command, from start to its result file, one after the
/// other in the same session, and test accuracy.
/// </summary>
internal static class FrozenBenchmark
{
    public static int Run(string[] args)
    {
        var rounds = Options.Int(args, "--rounds", 1);
        var precision = Options.Get(args, "--precision") ?? "auto";
        BenchHost.Print();
        var peer = Peers.MlnetPeer(args);
        var cli = Peers.HoldoutCli(args);
        var work = Directory.CreateTempSubdirectory("holdout-bench-frozen-").FullName;
        var data = BenchData.Prepare(args, work);
        Console.WriteLine(data.Description);
        Console.WriteLine($"Frozen recipe end to end, {Environment.ProcessorCount} cores, one command at a time");
        for (int round = 1; round <= rounds; round++)
        {
            var run = Path.Combine(work, $"run{round}");
            var ours = PeerProcess.Run("holdout train (the CLI)", "dotnet", [cli, "train", data.Manifest, "--recipe", "frozen", "--augment", "none", "--seed", "0", "--precision", precision, "--out", run], TimeSpan.FromMinutes(30)).Seconds;
            BenchHost.PrintRunPrecision(run);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
            var ourTest = summary["test"]!["accuracy"]!.GetValue<double>();
            var peerJson = Path.Combine(work, $"mlnet{round}.json");
            var theirs = PeerProcess.Run("the ML.NET peer", peer, ["run", data.Name, data.Splits, peerJson], TimeSpan.FromMinutes(30)).Seconds;
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
