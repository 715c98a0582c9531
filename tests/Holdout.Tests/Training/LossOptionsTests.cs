using Holdout.Native;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

/// <summary>
/// --label-smoothing and --class-weights: the loss they give, computed by hand on known logits, and the difference
/// class weights make to training.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class LossOptionsTests
{
    private static readonly double[][] Logits = [[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [-0.5, 0.25, 0.0]];
    private static readonly long[] Labels = [0, 2, 1];

    /// <summary>-log softmax(z)_k, in doubles.</summary>
    private static double NegativeLogSoftmax(double[] z, long k)
    {
        var max = z.Max();
        var logSum = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
        return logSum - z[k];
    }

    private static (Tensor Logits, Tensor Labels) Batch()
    {
        NativeRuntime.EnsureInitialized();
        return (tensor(Logits.SelectMany(r => r.Select(v => (float)v)).ToArray(), [Logits.Length, 3]), tensor(Labels));
    }

    [Fact]
    public void Should_give_the_label_smoothed_cross_entropy_of_the_formula()
    {
        // Given three samples' logits over three classes and label smoothing 0.2, as TrainingOptions pass it to the trainer
        using var scope = NewDisposeScope();
        var (logits, labels) = Batch();
        const double Epsilon = 0.2;
        using var model = nn.Linear(1, 3);
        using var trainer = new Trainer(model, new TrainingOptions(LabelSmoothing: Epsilon));

        // When the trainer's loss computes the batch mean and the per-sample values
        var mean = trainer.Loss.Mean(logits, labels).item<float>();
        var perSample = trainer.Loss.PerSample(logits, labels).data<float>().ToArray();

        // Then each sample's loss is (1 - e) x -log p[label] + e / C x sum over k of -log p[k], and the mean their mean
        var expected = Logits.Select((z, i) =>
            (1 - Epsilon) * NegativeLogSoftmax(z, Labels[i]) + Epsilon / 3 * Enumerable.Range(0, 3).Sum(k => NegativeLogSoftmax(z, k))).ToArray();
        Assert.Equal(Epsilon, trainer.Loss.LabelSmoothing);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], perSample[i], 5);
        Assert.Equal(expected.Average(), mean, 5);

        // And it is not plain cross-entropy: without smoothing the mean is the mean of -log p[label]
        using var plain = new ClassificationLoss();
        var unsmoothed = Logits.Select((z, i) => NegativeLogSoftmax(z, Labels[i])).Average();
        Assert.Equal(unsmoothed, plain.Mean(logits, labels).item<float>(), 5);
        Assert.True(Math.Abs(unsmoothed - mean) > 0.05, $"smoothed {mean}, plain {unsmoothed}");
    }

    [Fact]
    public void Should_weight_each_sample_by_its_class_weight_in_the_mean()
    {
        // Given the same samples and class weights 1, 3 and 0.5 (labels 0, 2, 1: weights 1, 0.5, 3)
        using var scope = NewDisposeScope();
        var (logits, labels) = Batch();
        float[] weights = [1f, 3f, 0.5f];
        using var loss = ClassificationLoss.For(new TrainingOptions(ClassWeights: weights));

        // When the loss computes the batch mean, the per-sample values and the batch's weight
        var mean = loss.Mean(logits, labels).item<float>();
        var perSample = loss.PerSample(logits, labels).data<float>().ToArray();
        var batchWeight = loss.BatchWeight(labels);

        // Then each sample counts w[label] x -log p[label], and the mean is their sum over the sum of w[label]
        var nll = Logits.Select((z, i) => NegativeLogSoftmax(z, Labels[i])).ToArray();
        var w = Labels.Select(l => (double)weights[l]).ToArray();
        for (var i = 0; i < nll.Length; i++) Assert.Equal(w[i] * nll[i], perSample[i], 5);
        Assert.Equal(w.Sum(), batchWeight, 6);
        Assert.Equal(nll.Zip(w, (n, k) => n * k).Sum() / w.Sum(), mean, 5);
        Assert.True(Math.Abs(mean - nll.Average()) > 0.05, $"weighted {mean}, unweighted {nll.Average()}");
    }

    [Fact]
    public void Should_train_differently_with_different_class_weights_and_alike_with_equal_ones()
    {
        // Given one seeded set-up trained three times: without class weights, with weights 1 and 1, and with 1 and 5
        float[] Train(float[]? classWeights)
        {
            using var train = TinyData.Source(128, seed: 5, shuffle: true);
            using var model = TinyData.Model(7);
            using var trainer = new Trainer(model, new TrainingOptions(ClassWeights: classWeights, Seed: 11));
            trainer.Fit(train, null, TinyData.Phase(model, 2));
            return [.. model.parameters().SelectMany(p => p.detach().data<float>().ToArray())];
        }

        // When each trains two epochs
        var none = Train(null);
        var equal = Train([1f, 1f]);
        var skewed = Train([1f, 5f]);

        // Then equal weights train exactly as none (the weighted mean is the plain mean), and skewed weights end elsewhere
        Assert.True(none.Zip(equal, (a, b) => Math.Abs(a - b)).Max() < 1e-5, "equal class weights changed training");
        var moved = none.Zip(skewed, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(moved > 1e-3, $"class weights 1 and 5 trained to the same weights as none (max difference {moved})");
    }
}
