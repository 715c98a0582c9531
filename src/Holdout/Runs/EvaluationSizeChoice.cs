using Holdout.Training;

namespace Holdout.Runs;

/// <summary>What <see cref="RunSetup.ChooseEvaluationSize"/> chose.</summary>
/// <param name="Size">The side validation, test and prediction images are now rendered at.</param>
/// <param name="ValidationLoss">The validation loss at each size that competed (empty when nothing was compared).</param>
/// <param name="Validation">The validation predictions at <paramref name="Size"/> when they were computed for the choice, else null.</param>
public sealed record EvaluationSizeChoice(int Size, IReadOnlyDictionary<int, double> ValidationLoss, Predictions? Validation = null);
