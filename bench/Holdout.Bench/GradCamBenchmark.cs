using System.Diagnostics;
using System.Globalization;
using Holdout.Explaining;
using Holdout.Imaging;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Grad-CAM's cost (issue 28: 32 images at 224 px in at most 5 s on 2 cores): <see cref="GradCam.Explain"/> on one
/// prepared batch of sample images with the bundled pretrained ResNet-18, once to warm up, then the median of the
/// rounds; the plain forward pass (BatchNorm folded, no_grad) on the same batch for scale.
/// </summary>
internal static class GradCamBenchmark
{
    public static int Run(string[] args)
    {
        var images = Options.Get(args, "--images") ?? Path.Combine(Repository.Root, "samples", "beans");
        var size = int.Parse(Options.Get(args, "--size") ?? "224", CultureInfo.InvariantCulture);
        var batchSize = int.Parse(Options.Get(args, "--batch") ?? "32", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Options.Get(args, "--rounds") ?? "5", CultureInfo.InvariantCulture);
        var precision = OptionNames.Parse<Precision>("--precision", Options.Get(args, "--precision") ?? "fp32");
        NativeRuntime.EnsureInitialized();
        BenchHost.Print();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b", "c"], size, ModelOptions.BundledWeights));
        model.eval();
        model.Precision = precision;
        Console.WriteLine($"Holdout precision: {model.Precision} (requested {precision})");
        var paths = PredictionInputs.Expand([images]).Take(batchSize).ToList();
        var prepared = paths.SelectMany(p => ModelInput.FromFile(p, model.Spec.Preprocessing.ForEvaluation())).ToArray();
        var count = prepared.Length / (3 * size * size);
        using var batch = tensor(prepared, [count, 3, size, size]);
        Console.WriteLine($"Grad-CAM: resnet18 (bundled weights), {size}x{size}, batch {count} from {images}, warm-up 1, median of {rounds} rounds");

        GradCam.Explain(model, batch);
        var gradCam = Median(rounds, () => GradCam.Explain(model, batch));
        var forward = Median(rounds, () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var folded = model.FoldedInference();
            model.forward(batch);
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GradCam.Explain: {gradCam:0.000} s for {count} images ({count / gradCam:0.0} img/s; target <= 5 s for 32); forward pass alone {forward:0.000} s ({gradCam / forward:0.00}x)"));
        return 0;
    }

    private static double Median(int rounds, Action action)
    {
        var seconds = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        seconds.Sort();
        return seconds[seconds.Count / 2];
    }
}
