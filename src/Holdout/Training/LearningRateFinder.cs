using Holdout.Data;
using Holdout.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// The learning-rate range test (Smith 2015; fastai's <c>lr_find</c>): trains for a few dozen steps while raising the
/// learning rate exponentially from <c>MinLearningRate</c> to <c>MaxLearningRate</c>, records the smoothed loss, and
/// stops once the loss explodes. The suggestion is the learning rate where the smoothed loss falls fastest
/// (steepest negative slope in log-lr), capped at a tenth of the rate with the lowest loss. The model's weights are
/// restored afterwards.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>One point of the range test.</summary>
    /// <param name="LearningRate">The learning rate of the step.</param>
    /// <param name="Loss">The exponentially smoothed, bias-corrected training loss.</param>
    public sealed record Point(double LearningRate, double Loss);

    /// <summary>The range test's curve and suggestion.</summary>
    /// <param name="Points">The curve, in step order.</param>
    /// <param name="Suggested">The suggested learning rate.</param>
    public sealed record Result(IReadOnlyList<Point> Points, double Suggested);

    /// <summary>Runs the range test.</summary>
    /// <param name="model">The classifier; its weights are put back at the end.</param>
    /// <param name="source">Training batches (cycled if it has fewer than <paramref name="steps"/>).</param>
    /// <param name="parameters">The parameters to train (e.g. the head only for a frozen backbone).</param>
    /// <param name="minLearningRate">Start. Defaults to 1e-7.</param>
    /// <param name="maxLearningRate">End. Defaults to 10.</param>
    /// <param name="steps">Steps. Defaults to 100.</param>
    /// <param name="seed">Seeds dropout. Defaults to 42.</param>
    /// <param name="loss">The training loss. Defaults to null: plain cross-entropy.</param>
    public static Result Run(nn.Module<Tensor, Tensor> model, IBatchSource source, IReadOnlyList<Parameter> parameters,
        double minLearningRate = 1e-7, double maxLearningRate = 10, int steps = 100, long seed = 42, ClassificationLoss? loss = null)
    {
        NativeRuntime.EnsureInitialized();
        if (steps < 5) throw new HoldoutException($"The learning-rate range test needs at least 5 steps, got {steps}.");
        var context = new TrainingContext(model, new TrainingOptions(Seed: seed));
        var snapshot = context.SnapshotWeights();
        var trainable = parameters.ToHashSet(ReferenceEqualityComparer.Instance);
        var wasRequired = model.parameters().Select(p => p.requires_grad).ToList();
        foreach (var p in model.parameters()) p.requires_grad = trainable.Contains(p);
        var points = new List<Point>();
        try
        {
            torch.manual_seed(seed);
            using var plain = loss is null ? new ClassificationLoss() : null;
            var lossFunction = loss ?? plain!;
            using var optimizer = torch.optim.Adam(parameters, minLearningRate);
            var device = Models.ModelOutputs.DeviceOf(model);
            model.train();
            double average = 0, best = double.PositiveInfinity;
            int step = 0, epoch = 0;
            while (step < steps)
            {
                foreach (var batch in source.Batches(epoch++))
                {
                    using var scope = NewDisposeScope();
                    using var owned = batch;
                    if (step >= steps) continue; // drain the source's workers cleanly
                    double lr = minLearningRate * Math.Pow(maxLearningRate / minLearningRate, step / (double)(steps - 1));
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                    optimizer.zero_grad();
                    var logits = model.forward(batch.Images.to(device));
                    var batchLoss = lossFunction.Mean(logits, batch.Labels.to(device));
                    batchLoss.backward();
                    optimizer.step();
                    double value = batchLoss.item<float>();
                    step++;
                    average = 0.98 * average + 0.02 * value;
                    double smoothed = average / (1 - Math.Pow(0.98, step));
                    if (!double.IsFinite(smoothed) || (step > 10 && smoothed > 4 * best)) { step = steps; continue; }
                    best = Math.Min(best, smoothed);
                    points.Add(new Point(lr, smoothed));
                }
            }
        }
        finally
        {
            context.RestoreWeights(snapshot);
            foreach (var t in snapshot.Values) t.Dispose();
            foreach (var (p, required) in model.parameters().Zip(wasRequired)) p.requires_grad = required;
        }
        return new Result(points, Suggest(points));
    }

    /// <summary>The steepest-descent point of the curve, capped at a tenth of the minimum-loss learning rate.</summary>
    internal static double Suggest(IReadOnlyList<Point> points)
    {
        if (points.Count < 3) return points.Count > 0 ? points[0].LearningRate : 1e-3;
        int skip = Math.Min(points.Count / 10, 10);
        int steepest = skip + 1;
        double steepestSlope = double.PositiveInfinity;
        for (int i = skip + 1; i < points.Count - 1; i++)
        {
            double slope = (points[i + 1].Loss - points[i - 1].Loss) / (Math.Log(points[i + 1].LearningRate) - Math.Log(points[i - 1].LearningRate));
            if (slope < steepestSlope) { steepestSlope = slope; steepest = i; }
        }
        double atMinimum = points.MinBy(p => p.Loss)!.LearningRate / 10;
        return Math.Min(points[steepest].LearningRate, atMinimum);
    }
}
