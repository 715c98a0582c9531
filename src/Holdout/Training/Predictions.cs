using Holdout.Metrics;

namespace Holdout.Training;

/// <summary>
/// What a model predicted for every sample of a split, in the split's sample order: class probabilities, true labels
/// and the mean loss. Input to the metrics and the report.
/// </summary>
/// <param name="Probabilities">Per sample, the probability of each class (softmax of the logits).</param>
/// <param name="Labels">Per sample, the true class index.</param>
/// <param name="Loss">The mean of the <see cref="ClassificationLoss"/> the pass was scored with (plain cross-entropy unless
/// the training loss, with its label smoothing and class weights, was given).</param>
/// <param name="Seconds">Wall-clock seconds the pass took.</param>
public sealed record Predictions(float[][] Probabilities, int[] Labels, double Loss, double Seconds)
{
    /// <summary>
    /// Per sample, its loss as the same <see cref="ClassificationLoss"/> defines it (weighted by its class weight, so
    /// their sum over the sum of the weights is <see cref="Loss"/>); null when the loss was given as a function.
    /// </summary>
    public double[]? SampleLosses { get; init; }

    /// <summary>Accuracy, per-class metrics, confusion, calibration and this loss, for the given class names.</summary>
    /// <param name="classNames">The C class names, in class-index order.</param>
    /// <exception cref="InvalidOperationException">The pass was scored with a loss given as a function (no per-sample values).</exception>
    public ClassificationMetrics Metrics(IReadOnlyList<string> classNames) =>
        ClassificationMetrics.Compute(Labels, Probabilities, classNames, SampleLosses
            ?? throw new InvalidOperationException("These predictions were scored with a loss given as a function, which has no per-sample values."), Loss);

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>The predicted class of each sample (the most probable; ties go to the lower index).</summary>
    public int[] Predicted => [.. Probabilities.Select(ArgMax)];

    /// <summary>Fraction of samples whose predicted class is the true one.</summary>
    public double Accuracy => Count == 0 ? double.NaN : Predicted.Zip(Labels).Count(p => p.First == p.Second) / (double)Count;

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
