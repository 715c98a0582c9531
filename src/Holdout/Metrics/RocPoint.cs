using System.Text.Json.Serialization;

namespace Holdout.Metrics;

/// <summary>
/// One point of a binary ROC curve: the rates obtained when every sample whose positive-class probability is at least
/// <paramref name="Threshold"/> is called positive.
/// </summary>
/// <param name="FalsePositiveRate">Fraction of negatives called positive.</param>
/// <param name="TruePositiveRate">Fraction of positives called positive.</param>
/// <param name="Threshold">The probability cut-off; <c>null</c> for the first point (0, 0), where nothing is called positive.</param>
public sealed record RocPoint(
    [property: JsonPropertyName("fpr")] double FalsePositiveRate,
    [property: JsonPropertyName("tpr")] double TruePositiveRate,
    [property: JsonPropertyName("threshold")] double? Threshold);
