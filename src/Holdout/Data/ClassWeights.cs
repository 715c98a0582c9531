namespace Holdout.Data;

/// <summary>
/// Per-class loss weights for imbalanced data, inverse to class frequency: weight(c) = N / (C x n(c)), so a balanced
/// dataset gets 1 for every class and the weights average to 1 over the samples. A class with no samples gets 0.
/// </summary>
public static class ClassWeights
{
    /// <summary>Inverse-frequency weights from counts per class.</summary>
    /// <param name="countsPerClass">Samples per class, indexed by label.</param>
    public static float[] InverseFrequency(IReadOnlyList<int> countsPerClass)
    {
        var total = countsPerClass.Sum();
        var classes = countsPerClass.Count;
        return countsPerClass.Select(n => n == 0 ? 0f : (float)((double)total / (classes * n))).ToArray();
    }

    /// <summary>Inverse-frequency weights of a split's samples.</summary>
    /// <param name="samples">The samples (usually the training split).</param>
    /// <param name="classCount">Number of classes.</param>
    public static float[] InverseFrequency(IReadOnlyList<ImageSample> samples, int classCount)
    {
        var counts = new int[classCount];
        foreach (var sample in samples)
        {
            counts[sample.Label]++;
        }
        return InverseFrequency(counts);
    }
}
