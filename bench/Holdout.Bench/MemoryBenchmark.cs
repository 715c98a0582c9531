using System.Diagnostics;
using System.Globalization;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;
using TorchSharp;

namespace Holdout.Bench;

/// <summary>
/// Whether memory stays flat over a long run: 1000 training batches (by default) of the bundled ResNet-18 with every
/// layer training (the fine-tune recipe's second phase: discriminative learning rates, one-cycle), 64 px, batch 16,
/// standard augmentation, 2 workers, on <c>samples/beans</c>, through the real <see cref="Trainer"/> and loader.
/// Resident memory (VmRSS) is taken after a warm-up of 20 batches and at the end; the growth between them should stay
/// under 5 %. Validation is skipped: it is the training loop that runs for hours.
/// </summary>
internal static class MemoryBenchmark
{
    public static int Run(string[] args)
    {
        int Number(string name, int fallback) => int.Parse(Options.Get(args, name) ?? fallback.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var batches = Number("--batches", 1000);
        var warmUp = Number("--warm-up", 20);
        var size = Number("--size", 64);
        var batchSize = Number("--batch", 16);
        var images = Options.Get(args, "--images") ?? Path.Combine(Repository.Root, "samples", "beans");

        NativeRuntime.EnsureInitialized();
        var options = new TrainRunOptions(Data: images, Model: Architecture.ResNet18, ImageSize: size, BatchSize: batchSize, Workers: 2, Seed: 1, Patience: 0);
        var data = RunData.Prepare(options);
        using var setup = RunSetup.Create(options, data.Split);
        var meter = new MemoryMeter(warmUp, batches);
        using var trainer = setup.CreateTrainer(setup.Recipe, [meter]);
        var allLayers = setup.Recipe.Phases[^1].Prepare(setup.Model);
        var epochs = (batches + setup.Train.BatchCount - 1) / setup.Train.BatchCount;
        Console.WriteLine($"Memory over {batches} training batches: {allLayers.Name}, {OptionNames.Of(setup.Model.Precision)}, {size} px, batch {batchSize}, " +
                          $"{setup.Train.SampleCount} images ({setup.Train.BatchCount} batches an epoch, {epochs} epochs), {Environment.ProcessorCount} cores");
        var clock = Stopwatch.StartNew();
        trainer.Fit(setup.Train, null, allLayers with { Epochs = epochs });
        Console.WriteLine($"{meter.Batches} batches in {clock.Elapsed.TotalSeconds:0} s; final training loss {trainer.History.Epochs[^1].Loss:0.0000}");
        if (meter.Start is not { } start || meter.End is not { } end)
        {
            Console.WriteLine("not enough batches to measure");
            return 1;
        }
        var growth = 100.0 * (end.ResidentBytes - start.ResidentBytes) / start.ResidentBytes;
        Console.WriteLine($"resident after batch {warmUp}: {start}");
        Console.WriteLine($"resident after batch {meter.Batches}: {end}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slope: {Slope(meter.Samples) * 1000 / 1048576.0:+0.00;-0.00} MiB per 1000 batches (least squares over {meter.Samples.Count} samples after the warm-up)"));
        Console.WriteLine($"growth: {growth:+0.00;-0.00} % (target < 5 %)");
        return growth < 5 ? 0 : 2;
    }

    /// <summary>The least-squares slope of resident bytes against the batch number.</summary>
    private static double Slope(IReadOnlyList<(int Batch, long Resident)> samples)
    {
        if (samples.Count < 2) return 0;
        var meanX = samples.Average(s => (double)s.Batch);
        var meanY = samples.Average(s => (double)s.Resident);
        var covariance = samples.Sum(s => (s.Batch - meanX) * (s.Resident - meanY));
        var variance = samples.Sum(s => (s.Batch - meanX) * (s.Batch - meanX));
        return variance == 0 ? 0 : covariance / variance;
    }

    /// <summary>Memory at one moment: resident set, managed heap, live TorchSharp tensors.</summary>
    private sealed record Sample(long ResidentBytes, long ManagedBytes, long LiveTensors)
    {
        public static Sample Now() => new(ReadResident(), GC.GetTotalMemory(forceFullCollection: false), DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{ResidentBytes / 1048576.0:0.0} MiB resident, {ManagedBytes / 1048576.0:0.0} MiB managed heap, {LiveTensors} live tensors");

        /// <summary>VmRSS from /proc/self/status (Linux), else the working set.</summary>
        private static long ReadResident()
        {
            const string status = "/proc/self/status";
            if (File.Exists(status))
            {
                var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }
    }

    /// <summary>Counts batches, samples memory after the warm-up, every 100 batches and at the last, then stops training.</summary>
    private sealed class MemoryMeter(int warmUp, int total) : Callback
    {
        public int Batches { get; private set; }

        public Sample? Start { get; private set; }

        public Sample? End { get; private set; }

        /// <summary>Resident bytes after the warm-up, every 100 batches and at the last: what the slope is fitted to.</summary>
        public List<(int Batch, long Resident)> Samples { get; } = [];

        public override void OnBatchEnd(TrainingContext context, BatchLogs logs)
        {
            Batches++;
            if (Batches < warmUp || (Batches != warmUp && Batches % 100 != 0 && Batches != total)) return;
            var now = Sample.Now();
            Samples.Add((Batches, now.ResidentBytes));
            if (Batches == warmUp) Start = now;
            if (Batches % 100 == 0 && Batches < total) Console.WriteLine($"  batch {Batches}: {now}");
            if (Batches < total) return;
            End = now;
            context.StopTraining = true;
        }
    }
}
