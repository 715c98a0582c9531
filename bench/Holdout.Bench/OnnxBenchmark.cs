using System.Diagnostics;
using System.Globalization;
using Holdout.Imaging;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Inference throughput of one model run two ways in the same process, on the same images: Holdout's TorchSharp model
/// and its ONNX export in ONNX Runtime (default session options). Measured forward passes alone on one prepared batch
/// (img/s, best of the rounds), and <see cref="Predictor"/> end to end over a folder (decode, resize, normalise,
/// forward), where the ONNX file takes normalised floats or, exported with its preprocessing, uint8 pixels.
/// </summary>
internal static class OnnxBenchmark
{
    public static int Run(string[] args)
    {
        var images = Options.Get(args, "--images") ?? Path.Combine(Repository.Root, "samples", "beans");
        var size = int.Parse(Options.Get(args, "--size") ?? "224", CultureInfo.InvariantCulture);
        var batchSize = int.Parse(Options.Get(args, "--batch") ?? "32", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Options.Get(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var architecture = OptionNames.Parse<Architecture>("--model", Options.Get(args, "--model") ?? "resnet18");
        NativeRuntime.EnsureInitialized();
        var paths = PredictionInputs.Expand([images]).ToList();
        var work = Directory.CreateTempSubdirectory("holdout-bench-onnx-").FullName;
        var weights = architecture == Architecture.ResNet18 ? ModelOptions.BundledWeights : ModelOptions.NoWeights;
        using var model = ModelFactory.Create(new ModelOptions(architecture, ["a", "b", "c"], size, weights));
        model.eval();
        var floatFile = Path.Combine(work, "model.onnx");
        var pixelFile = Path.Combine(work, "model-pixels.onnx");
        OnnxExport.Save(model, floatFile);
        OnnxExport.Save(model, pixelFile, new OnnxExportOptions(WithPreprocessing: true));
        Console.WriteLine($"Inference: {OptionNames.Of(architecture)} ({weights} weights), {size}x{size}, batch {batchSize}, {paths.Count} images " +
                          $"from {images}, {Environment.ProcessorCount} cores, TorchSharp threads {torch.get_num_threads()}, ONNX Runtime default threads, best of {rounds} rounds");

        // Forward passes alone, on one prepared batch, repeated to cover as many images as the folder has.
        var prepared = paths.Take(batchSize).SelectMany(p => ModelInput.FromFile(p, model.Spec.Preprocessing)).ToArray();
        var count = prepared.Length / (3 * size * size);
        var passes = Math.Max(1, paths.Count / count);
        float[] torchLogits = [];
        var torchRate = Best(rounds, passes * count, () =>
        {
            for (int i = 0; i < passes; i++)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                torchLogits = model.forward(tensor(prepared, [count, 3, size, size])).data<float>().ToArray();
            }
        });
        using var session = new InferenceSession(floatFile);
        float[] onnxLogits = [];
        var onnxRate = Best(rounds, passes * count, () =>
        {
            for (int i = 0; i < passes; i++)
            {
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<float>(prepared, [count, 3, size, size]))]);
                onnxLogits = results.Single(r => r.Name == OnnxModelInfo.LogitsName).AsEnumerable<float>().ToArray();
            }
        });
        var difference = torchLogits.Zip(onnxLogits, (a, b) => Math.Abs(a - b)).Max();
        Console.WriteLine($"forward only ({passes} x {count} images): TorchSharp {torchRate:0.0} img/s, ONNX Runtime {onnxRate:0.0} img/s " +
                          $"({onnxRate / torchRate:0.00}x); max abs logit difference {difference:E1}");

        // Predictor end to end: decode, resize, normalise (or not), forward.
        var options = new PredictorOptions(BatchSize: batchSize);
        using var torchPredictor = new Predictor(model, options);
        using var floatPredictor = Predictor.Load(floatFile, options);
        using var pixelPredictor = Predictor.Load(pixelFile, options);
        var endToEnd = new[] { ("TorchSharp", torchPredictor), ("ONNX Runtime, float input", floatPredictor), ("ONNX Runtime, uint8 input", pixelPredictor) }
            .Select(p => (p.Item1, Rate: Best(rounds, paths.Count, () => p.Item2.Predict(paths).ToList()))).ToList();
        Console.WriteLine("predict end to end: " + string.Join(", ", endToEnd.Select(e => $"{e.Item1} {e.Rate:0.0} img/s ({e.Rate / endToEnd[0].Rate:0.00}x)")));
        Directory.Delete(work, recursive: true);
        return 0;
    }

    /// <summary>The best rate over <paramref name="rounds"/> timed runs of <paramref name="action"/> (after one warm-up run).</summary>
    private static double Best(int rounds, int images, Action action)
    {
        action();
        var best = 0.0;
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Max(best, images / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
