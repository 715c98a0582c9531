using Holdout.Metrics;

namespace Holdout.Reporting;

/// <summary>
/// One picture of the report's top-losses gallery: an evaluated image the model got most confidently wrong (or
/// least confidently right), with its true label, the prediction and the probabilities. The image comes from
/// <see cref="ImagePath"/> or <see cref="ImageBytes"/>; the report embeds a small JPEG thumbnail of it.
/// </summary>
internal sealed record TopLossExample
{
    /// <summary>Path of the image file; shown under the thumbnail. Defaults to <c>null</c>.</summary>
    public string? ImagePath { get; init; }

    /// <summary>Encoded image bytes (any format SkiaSharp decodes), used instead of reading <see cref="ImagePath"/>.
    /// Defaults to <c>null</c>.</summary>
    public byte[]? ImageBytes { get; init; }

    /// <summary>Grad-CAM overlay (encoded image) of the evidence for the predicted class, drawn over the image as the
    /// model saw it. Defaults to <c>null</c>: not shown.</summary>
    public byte[]? PredictedOverlay { get; init; }

    /// <summary>Grad-CAM overlay of the evidence for the true class, for a wrong prediction. Defaults to <c>null</c>.</summary>
    public byte[]? TrueOverlay { get; init; }

    /// <summary>Name of the true class.</summary>
    public required string TrueLabel { get; init; }

    /// <summary>Name of the predicted class.</summary>
    public required string PredictedLabel { get; init; }

    /// <summary>Probability the model gave the predicted class.</summary>
    public required double PredictedProbability { get; init; }

    /// <summary>Probability the model gave the true class.</summary>
    public required double TrueProbability { get; init; }

    /// <summary>The sample's cross-entropy loss.</summary>
    public required double Loss { get; init; }

    /// <summary>
    /// The <paramref name="count"/> highest-loss samples of an evaluation, as gallery entries.
    /// </summary>
    /// <param name="metrics">Metrics computed over the evaluated samples.</param>
    /// <param name="imagePaths">Path of each evaluated sample, in the order given to
    /// <see cref="ClassificationMetrics.Compute(IReadOnlyList{int}, ReadOnlySpan{float}, IReadOnlyList{string}, IReadOnlyList{double}, double)"/>.</param>
    /// <param name="count">How many to take. Defaults to 16.</param>
    public static IReadOnlyList<TopLossExample> From(ClassificationMetrics metrics, IReadOnlyList<string> imagePaths, int count = 16)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(imagePaths);
        if (imagePaths.Count != metrics.SampleCount)
            throw new ArgumentException($"Got {imagePaths.Count} image paths for {metrics.SampleCount} evaluated samples; they must match.", nameof(imagePaths));
        return metrics.TopLosses(count).Select(s => new TopLossExample
        {
            ImagePath = imagePaths[s.Index],
            TrueLabel = metrics.ClassNames[s.TrueLabel],
            PredictedLabel = metrics.ClassNames[s.PredictedLabel],
            PredictedProbability = s.PredictedProbability,
            TrueProbability = s.TrueProbability,
            Loss = s.Loss,
        }).ToList();
    }
}
