using System.Text.Json.Serialization;

namespace Holdout.Metrics;

/// <summary>
/// One off-diagonal cell of the confusion matrix: how many samples of class <paramref name="TrueLabel"/> were
/// predicted as <paramref name="PredictedLabel"/> (fastai's "most confused").
/// </summary>
/// <param name="TrueLabel">Name of the true class.</param>
/// <param name="PredictedLabel">Name of the class the model predicted instead.</param>
/// <param name="Count">Number of such samples (at least 1).</param>
public sealed record ConfusedPair(
    [property: JsonPropertyName("true")] string TrueLabel,
    [property: JsonPropertyName("predicted")] string PredictedLabel,
    [property: JsonPropertyName("count")] int Count);
