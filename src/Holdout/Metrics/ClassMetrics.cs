using System.Text.Json.Serialization;

namespace Holdout.Metrics;

/// <summary>
/// Precision, recall, F1 and support of one class, one-vs-rest. A class that is never predicted has precision 0, a
/// class with no samples has recall 0, and F1 is 0 when precision and recall are both 0: no value is ever NaN.
/// </summary>
/// <param name="Name">The class name, as in the run's class list.</param>
/// <param name="Precision">Of the samples predicted as this class, the fraction that truly are (0 when none is predicted).</param>
/// <param name="Recall">Of the samples of this class, the fraction predicted as it (0 when the class has no samples).</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">How many samples truly belong to this class.</param>
/// <param name="Predicted">How many samples were predicted as this class.</param>
public sealed record ClassMetrics(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] int Support,
    [property: JsonPropertyName("predicted")] int Predicted);
