using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Model compute of each architecture against PyTorch running the same torchvision model with the same settings
/// (issue 29): one fixed random batch (default 16 x 3 x 224 x 224, 3 classes), training steps (train mode, all layers,
/// Adam, cross-entropy, backward) and evaluation passes (eval mode, no gradients), one warm-up then the median of the
/// timed steps, img/s. No data loading on either side (bench train/eval measure the whole pipeline). Holdout runs in
/// fp32 and in the precision <c>--precision</c> resolves to (auto: measured per workload); PyTorch 1.13 in fp32 (it
/// has no CPU autocast for these models in the peer). Ratios are Holdout / PyTorch, same process session, same cores.
/// </summary>
internal static class BackbonesBenchmark
{
    public static int Run(string[] args)
    {
        var models = (Options.Get(args, "--models") ?? "efficientnet-b0,mobilenet-v3-large,convnext-tiny")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(m => OptionNames.Parse<Architecture>("--models", m)).ToList();
        var size = Options.Int(args, "--size", 224);
        var batchSize = Options.Int(args, "--batch", 16);
        var steps = Options.Int(args, "--steps", 3);
        var requested = OptionNames.Parse<Precision>("--precision", Options.Get(args, "--precision") ?? "auto");
        var python = Peers.Python(args);
        var skipPeer = Options.Flag(args, "--no-peer");
        BenchHost.Print();
        if (!skipPeer) Peers.RequirePyTorch(python);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Backbones: batch {batchSize} x 3 x {size} x {size}, 3 classes, all layers trained (Adam), warm-up 1 + median of {steps} steps, no data loading"));
        var work = Directory.CreateTempSubdirectory("holdout-bench-backbones-").FullName;
        foreach (var architecture in models)
        {
            var name = OptionNames.Of(architecture);
            using var model = ModelFactory.Create(new ModelOptions(architecture, ["a", "b", "c"], size, ModelOptions.NoWeights, Seed: 1));
            var fp32 = Measure(model, Precision.Fp32, batchSize, size, steps);
            var trainChoice = PrecisionChoices.Choose(model, requested, PrecisionWorkload.Training, batchSize, size);
            var evalChoice = PrecisionChoices.Choose(model, requested, PrecisionWorkload.Inference, batchSize, size);
            var chosenTrain = trainChoice.Precision == Precision.Fp32 ? fp32.Train : Measure(model, trainChoice.Precision, batchSize, size, steps).Train;
            var chosenEval = evalChoice.Precision == Precision.Fp32 ? fp32.Eval : Measure(model, evalChoice.Precision, batchSize, size, steps).Eval;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: Holdout fp32 train {fp32.Train:0.00} img/s, eval {fp32.Eval:0.00} img/s; " +
                $"{requested.ToString().ToLowerInvariant()}: train {chosenTrain:0.00} img/s ({OptionNames.Of(trainChoice.Precision)}), eval {chosenEval:0.00} img/s ({OptionNames.Of(evalChoice.Precision)})"));
            Console.WriteLine($"  precision: training {trainChoice}; evaluation {evalChoice}");
            if (skipPeer) continue;
            var torchvisionName = Holdout.Models.Backbones.BackboneCatalog.TorchvisionName(architecture);
            var peerOut = Path.Combine(work, torchvisionName + ".json");
            Peers.RunPyTorch(python, "backbone", "--arch", torchvisionName, "--size", size.ToString(CultureInfo.InvariantCulture),
                "--batch-size", batchSize.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture),
                "--threads", torch.get_num_threads().ToString(CultureInfo.InvariantCulture), "--out", peerOut);
            var peer = JsonNode.Parse(File.ReadAllText(peerOut))!;
            var theirTrain = peer["train_img_s"]!.GetValue<double>();
            var theirEval = peer["eval_img_s"]!.GetValue<double>();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: PyTorch {peer["torch"]} fp32 train {theirTrain:0.00} img/s, eval {theirEval:0.00} img/s; " +
                $"ratio Holdout/PyTorch: train {fp32.Train / theirTrain:0.00}x fp32, {chosenTrain / theirTrain:0.00}x {requested.ToString().ToLowerInvariant()}; " +
                $"eval {fp32.Eval / theirEval:0.00}x fp32, {chosenEval / theirEval:0.00}x {requested.ToString().ToLowerInvariant()}"));
        }
        return 0;
    }

    private static (double Train, double Eval) Measure(ImageClassifier model, Precision precision, int batchSize, int size, int steps)
    {
        model.Precision = precision;
        using var input = randn([batchSize, 3, size, size], generator: new Generator(1));
        using var labels = arange(batchSize, ScalarType.Int64).remainder(3);
        var parameters = model.parameters().ToList();
        using var optimizer = optim.Adam(parameters, lr: 1e-4);
        void TrainStep()
        {
            using var scope = NewDisposeScope();
            model.train();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(input), labels);
            loss.backward();
            optimizer.step();
        }
        void EvalStep()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.eval();
            using var folded = model.FoldedInference();
            model.forward(input);
        }
        var train = batchSize / Median(steps, TrainStep);
        var eval = batchSize / Median(steps, EvalStep);
        model.Precision = Precision.Fp32;
        return (train, eval);
    }

    private static double Median(int steps, Action step)
    {
        step();
        var seconds = new List<double>();
        for (var i = 0; i < steps; i++)
        {
            var clock = Stopwatch.StartNew();
            step();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        seconds.Sort();
        return seconds[seconds.Count / 2];
    }
}
