using System.Diagnostics;
using Holdout.Data;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Where evaluation time goes: the pretrained ResNet-18's forward pass on random 224 px batches of 32 in each
/// precision and execution mode, then the evaluation loader alone on the
/// beans reference split or the committed sample (<c>--data DIR</c>, <see cref="BenchData"/>), then both together.
/// </summary>
internal static class BackboneProbe
{
    public static int Run(string[] args)
    {
        BenchHost.Print();
        var work = Directory.CreateTempSubdirectory("holdout-bench-backbone-").FullName;
        var bench = BenchData.Prepare(args, work);
        Console.WriteLine(bench.Description);
        var options = new TrainRunOptions(Data: bench.Manifest, Workers: 2, Precision: Precision.Bf16);
        var data = RunData.Prepare(options);
        using var setup = RunSetup.Create(options, data.Split);
        var model = setup.Model;
        model.eval();
        Console.WriteLine($"threads: libtorch {torch.get_num_threads()}, cores {Environment.ProcessorCount}");
        using var input = randn(32, 3, 224, 224);
        foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
        {
            model.Precision = precision;
            Time($"{precision} no_grad", () => { using var g = no_grad(); return model.Features(input); });
            Time($"{precision} inference_mode", () => { using var g = inference_mode(); return model.Features(input); });
            using (model.FoldedInference())
                Time($"{precision} inference_mode, BatchNorm folded", () => { using var g = inference_mode(); return model.Features(input); });
        }
        using (var plain = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b", "c"], 224, ModelOptions.NoWeights)))
        {
            plain.eval();
            foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
            {
                plain.Precision = precision;
                Time($"torchvision layout (no weights) {precision} no_grad", () => { using var g = no_grad(); return plain.Features(input); });
            }
        }
        model.Precision = Precision.Bf16;
        var samples = data.Split.Samples(DataSplit.Validation).Concat(data.Split.Samples(DataSplit.Test)).ToList();
        var clock = Stopwatch.StartNew();
        var count = 0;
        foreach (var batch in setup.Evaluation(samples).Batches(0))
        {
            count += batch.Count;
            batch.Dispose();
        }
        Console.WriteLine($"loader alone: {count} images, {count / clock.Elapsed.TotalSeconds:0.0} img/s");
        clock.Restart();
        using (var g = inference_mode())
        {
            foreach (var batch in setup.Evaluation(samples).Batches(0))
            {
                using var scope = NewDisposeScope();
                model.Features(batch.Images);
                batch.Dispose();
            }
        }
        Console.WriteLine($"loader + bf16 features: {count / clock.Elapsed.TotalSeconds:0.0} img/s");
        clock.Restart();
        using (var g = inference_mode())
        using (model.FoldedInference())
        {
            foreach (var batch in setup.Evaluation(samples).Batches(0))
            {
                using var scope = NewDisposeScope();
                model.Features(batch.Images);
                batch.Dispose();
            }
        }
        Console.WriteLine($"loader + bf16 features, BatchNorm folded: {count / clock.Elapsed.TotalSeconds:0.0} img/s");
        return 0;
    }

    /// <summary>Images per second of <paramref name="forward"/> on a batch of 32, after one warm-up pass.</summary>
    internal static void Time(string label, Func<Tensor> forward)
    {
        using (var scope = NewDisposeScope()) forward();
        var clock = Stopwatch.StartNew();
        const int rounds = 10;
        for (var i = 0; i < rounds; i++)
        {
            using var scope = NewDisposeScope();
            forward();
        }
        Console.WriteLine($"{label}: {rounds * 32 / clock.Elapsed.TotalSeconds:0.0} img/s");
    }
}
