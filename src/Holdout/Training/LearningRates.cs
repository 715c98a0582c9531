using Holdout.Models;

namespace Holdout.Training;

/// <summary>
/// Parameter groups with their learning rates, for a <see cref="TrainingPhase"/>: one rate for every trainable group,
/// or fastai's discriminative rates that rise geometrically from the earliest layers to the head.
/// </summary>
public static class LearningRates
{
    /// <summary>Every trainable parameter group of <paramref name="model"/> (one per backbone stage, then the head) at one rate.</summary>
    /// <param name="model">The classifier, frozen or not as the phase needs.</param>
    /// <param name="learningRate">The peak learning rate.</param>
    public static IReadOnlyList<ParameterGroup> Uniform(ImageClassifier model, double learningRate) =>
        [.. model.ParameterGroups().Where(g => g.Count > 0).Select(g => new ParameterGroup(g, learningRate))];

    /// <summary>All trainable parameters of <paramref name="model"/> as a single group at one rate.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="learningRate">The peak learning rate.</param>
    public static IReadOnlyList<ParameterGroup> Single(ImageClassifier model, double learningRate) =>
        [new ParameterGroup([.. model.ParameterGroups().SelectMany(g => g)], learningRate)];

    /// <summary>
    /// fastai's <c>slice(top / multiplier, top)</c>: the trainable groups, earliest first, at learning rates spread
    /// geometrically from <paramref name="top"/> / <paramref name="multiplier"/> (the stem) to <paramref name="top"/>
    /// (the head).
    /// </summary>
    /// <param name="model">The classifier (usually unfrozen).</param>
    /// <param name="top">The head's peak learning rate.</param>
    /// <param name="multiplier">How many times lower the earliest layers' rate is (fastai: 100).</param>
    /// <exception cref="HoldoutException">The multiplier is below 1.</exception>
    public static IReadOnlyList<ParameterGroup> Discriminative(ImageClassifier model, double top, double multiplier)
    {
        if (!(multiplier >= 1)) throw new HoldoutException($"--lr-mult must be 1 or more (fastai uses 100), got {multiplier}.");
        var all = model.ParameterGroups().Where(g => g.Count > 0).ToList();
        double bottom = top / multiplier;
        return [.. all.Select((g, i) => new ParameterGroup(g, all.Count == 1 ? top : bottom * Math.Pow(top / bottom, i / (double)(all.Count - 1))))];
    }
}
