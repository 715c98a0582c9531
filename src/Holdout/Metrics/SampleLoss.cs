using System.Text.Json.Serialization;

namespace Holdout.Metrics;

/// <summary>
/// The loss of one evaluated sample, for a "top losses" view: the samples the model got most confidently wrong.
/// </summary>
/// <param name="Index">Position of the sample in the evaluated set (the order labels and probabilities were given in).</param>
/// <param name="TrueLabel">Index of the true class.</param>
/// <param name="PredictedLabel">Index of the predicted class (highest probability, lowest index on ties).</param>
/// <param name="TrueProbability">Probability the model gave the true class.</param>
/// <param name="PredictedProbability">Probability the model gave the predicted class.</param>
/// <param name="Loss">The sample's loss as the run's loss defines it (plain cross-entropy: −ln of the true class's
/// probability; with label smoothing or class weights, those too).</param>
public sealed record SampleLoss(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("true")] int TrueLabel,
    [property: JsonPropertyName("predicted")] int PredictedLabel,
    [property: JsonPropertyName("true_probability")] double TrueProbability,
    [property: JsonPropertyName("predicted_probability")] double PredictedProbability,
    [property: JsonPropertyName("loss")] double Loss);
