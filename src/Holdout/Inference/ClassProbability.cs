namespace Holdout.Inference;

/// <summary>One class and the probability the model gave it.</summary>
/// <param name="Label">The class name.</param>
/// <param name="Probability">Its probability (0..1).</param>
public sealed record ClassProbability(string Label, float Probability);
