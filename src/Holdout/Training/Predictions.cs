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
