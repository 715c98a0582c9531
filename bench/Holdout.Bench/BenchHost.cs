using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Native;
using TorchSharp;

namespace Holdout.Bench;

/// <summary>Where a benchmark ran and in which precision, printed before its numbers: hosts differ (bf16 was 2x fp32 on one CPU, 0.73x on another).</summary>
internal static class BenchHost
{
    /// <summary>Prints the CPU model, cores, engine threads and the date.</summary>
    public static void Print()
    {
        NativeRuntime.EnsureInitialized();
        var name = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Host: {name ?? EngineInfo.DescribeProcessor()} [{EngineInfo.DescribeProcessor()}], {Environment.ProcessorCount} cores, libtorch {torch.__version__} on {torch.get_num_threads()} threads, {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}"));
    }

    /// <summary>Prints the precision a run folder's <c>config.json</c> records and why.</summary>
    public static void PrintRunPrecision(string runFolder)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(runFolder, "config.json")))!;
        var choice = config["precision_choice"];
        Console.WriteLine($"Holdout precision: {choice?["chosen"] ?? config["effective"]?["precision"]} (requested {choice?["requested"]}: {choice?["reason"]})");
    }
}
