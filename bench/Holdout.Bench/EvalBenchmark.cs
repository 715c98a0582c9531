using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Bench;

/// <summary>
/// Evaluation throughput against the PyTorch peer's evaluation (decode + resize + normalise + forward of the
/// validation and test images, batch 32, 2 workers), one after the other in the same session. The peer reports
/// it from a one-epoch frozen run (its eval_img_s); Holdout evaluates the same images (the beans reference split or the committed sample, <see cref="BenchData"/>) with the bundled ResNet-18
/// through a run setup's evaluation loaders and the Evaluator, in the default precision.
/// </summary>
internal static class EvalBenchmark
{
    public static int Run(string[] args)
    {
        var python = Peers.Python(args);
        var skipPeer = Options.Flag(args, "--no-peer");
        var precision = OptionNames.Parse<Precision>("--precision", Options.Get(args, "--precision") ?? "auto");
        BenchHost.Print();
        if (!skipPeer) Peers.RequirePyTorch(python);
        var work = Directory.CreateTempSubdirectory("holdout-bench-eval-").FullName;
        var bench = BenchData.Prepare(args, work);
        Console.WriteLine(bench.Description);
        var options = new TrainRunOptions(Data: bench.Manifest, Workers: 2, Precision: precision);
        var data = RunData.Prepare(options);
        using var setup = RunSetup.Create(options, data.Split);
        // Evaluation is inference: its precision is the one auto measures for forward passes, as evaluate and predict choose it.
        var choice = PrecisionChoices.Choose(setup.Model, precision, PrecisionWorkload.Inference, options.BatchSize, setup.Model.EvaluationSize);
        setup.Model.Precision = choice.Precision;
        Console.WriteLine($"Holdout precision: {choice}");
        var samples = data.Split.Samples(DataSplit.Validation).Concat(data.Split.Samples(DataSplit.Test)).ToList();
        Evaluator.Predict(setup.Model, setup.Evaluation(samples.Take(64).ToList()), setup.Loss); // warm-up: first-use costs
        var clock = Stopwatch.StartNew();
        var predictions = Evaluator.Predict(setup.Model, setup.Evaluation(samples), setup.Loss);
        var ours = predictions.Count / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Holdout evaluation: {predictions.Count} images (val + test), {OptionNames.Of(setup.Model.Precision)}, {ours:0.0} img/s"));
        if (skipPeer) return 0;
        var peerJson = Path.Combine(work, "peer.json");
        Console.WriteLine("Running the PyTorch peer: pytorch_peer.py train --recipe frozen --epochs 1 (its eval_img_s; progress below)");
        Peers.RunPyTorch(python, "train", "--dataset", bench.Name, "--splits", bench.Splits, "--recipe", "frozen", "--epochs", "1",
            "--workers", "2", "--out", peerJson);
        var theirs = JsonNode.Parse(File.ReadAllText(peerJson))!["eval_img_s"]!.GetValue<double>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PyTorch 1.13 peer evaluation: {theirs:0.0} img/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio Holdout / peer: {ours / theirs:0.00}x (target >= 1.50x)"));
        return 0;
    }
}
