using System.Diagnostics;
using System.Globalization;
using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Chooses the linear probe's defaults by measurement: the backbone featurises a dataset's train/val/test split once
/// (also the mirrored images), then probe variants — weight-decay grids, mirrored training images, test-time mirror
/// averaging — are fitted on the same features and scored on validation and test. Prints a table.
/// </summary>
internal static class ProbeStudy
{
    public static int Run(string[] args)
    {
        var data = Options.Folder(args);
        var size = int.Parse(Options.Get(args, "--image-size") ?? "224", CultureInfo.InvariantCulture);
        var precision = OptionNames.Parse<Precision>("--precision", Options.Get(args, "--precision") ?? "auto");
        var options = new TrainRunOptions(Data: data, ImageSize: size, Precision: precision, Workers: 2);
        var clock = Stopwatch.StartNew();
        var prepared = RunData.Prepare(options);
        using var setup = RunSetup.Create(options, prepared.Split);
        var model = setup.Model;
        model.FreezeBackbone();
        var splitSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var plain = new Dictionary<DataSplit, (Tensor X, Tensor Y)>();
        var mirrored = new Dictionary<DataSplit, (Tensor X, Tensor Y)>();
        foreach (var split in new[] { DataSplit.Train, DataSplit.Validation, DataSplit.Test })
        {
            var samples = prepared.Split.Samples(split);
            plain[split] = Featurise(model, BatchLoader.ForEvaluation(samples, setup.Preprocessing, new BatchLoaderOptions(Workers: 2)));
            // The evaluation transform, mirrored: a training loader whose only change is a certain horizontal flip.
            var flip = new AugmentationOptions(HorizontalFlipProbability: 1.0);
            mirrored[split] = Featurise(model, BatchLoader.ForTraining(samples, setup.Preprocessing, new BatchLoaderOptions(Workers: 2, Augmentation: flip)));
        }
        var featureSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{data} at {size} px, {OptionNames.Of(model.Precision)}: train {plain[DataSplit.Train].Y.shape[0]}, val {plain[DataSplit.Validation].Y.shape[0]}, test {plain[DataSplit.Test].Y.shape[0]}; split {splitSeconds:0.0} s, features (x2 with mirrors) {featureSeconds:0.0} s"));
        Console.WriteLine("variant | weight decay | iterations | fit s | val loss | val acc | test acc | test acc (mirror TTA)");
        Console.WriteLine("---|---|---|---|---|---|---|---");
        double[][] grids =
        [
            [.. LinearProbe.DefaultWeightDecays],
            [1, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3],
            [3e-1, 1e-1, 3e-2, 1e-2, 3e-3],
            [1e-2],
            [1e-3],
        ];
        foreach (var grid in grids)
        {
            foreach (var withMirrors in new[] { false, true })
            {
                var (x, y) = plain[DataSplit.Train];
                if (withMirrors) (x, y) = (cat([x, mirrored[DataSplit.Train].X], 0), cat([y, mirrored[DataSplit.Train].Y], 0));
                using var head = nn.Linear(x.shape[1], prepared.Split.ClassNames.Count);
                var result = new LinearProbe(grid).Fit(head, x, y, plain[DataSplit.Validation].X, plain[DataSplit.Validation].Y, setup.Loss);
                double Accuracy(Tensor logits, Tensor labels) => logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
                using var noGrad = no_grad();
                var test = plain[DataSplit.Test];
                var logits = head.forward(test.X);
                var averaged = (softmax(logits, 1) + softmax(head.forward(mirrored[DataSplit.Test].X), 1)) / 2;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"grid [{string.Join(" ", grid)}]{(withMirrors ? " + mirrored train" : "")} | {result.WeightDecay:0.####} | {result.Iterations} | {result.Seconds:0.00} | {result.ValidationLoss:0.0000} | {result.ValidationAccuracy:0.0000} | {Accuracy(logits, test.Y):0.0000} | {Accuracy(averaged, test.Y):0.0000}"));
            }
        }
        return 0;
    }

    private static (Tensor X, Tensor Y) Featurise(ImageClassifier model, BatchLoader loader)
    {
        var features = new Tensor[loader.SampleCount];
        var labels = new long[loader.SampleCount];
        model.eval();
        using var noGrad = no_grad();
        foreach (var batch in loader.Batches(0))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            var f = model.Features(batch.Images);
            var l = batch.Labels.data<long>().ToArray();
            for (int i = 0; i < batch.Count; i++)
            {
                features[batch.Indices[i]] = f[i].clone().DetachFromDisposeScope();
                labels[batch.Indices[i]] = l[i];
            }
        }
        return (stack(features), tensor(labels));
    }
}
