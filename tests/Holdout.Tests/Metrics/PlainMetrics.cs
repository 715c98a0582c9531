using Holdout.Metrics;
using Holdout.Training;

namespace Holdout.Tests.Metrics;

/// <summary>
/// <see cref="ClassificationMetrics"/> of probabilities with the plain loss (cross-entropy, no label smoothing or class
/// weights), computed as everything in Holdout computes a loss: through <see cref="ClassificationLoss"/>.
/// </summary>
internal static class PlainMetrics
{
    public static ClassificationMetrics Compute(IReadOnlyList<int> labels, IReadOnlyList<float[]> probabilities, IReadOnlyList<string> classNames)
    {
        using var loss = new ClassificationLoss();
        var (perSample, mean) = loss.OfProbabilities(labels, probabilities);
        return ClassificationMetrics.Compute(labels, probabilities, classNames, perSample, mean);
    }

    public static ClassificationMetrics Compute(IReadOnlyList<int> labels, float[] flat, IReadOnlyList<string> classNames) =>
        Compute(labels, [.. flat.Chunk(classNames.Count)], classNames);
}
