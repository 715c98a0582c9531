namespace Holdout.Diagnostics.Checks;

/// <summary>What a short probe training did: first and last loss, steps, last accuracy, first gradient norm, mean loss.</summary>
internal sealed record FitResult(double First, double Last, int Steps, double Accuracy, double GradientNorm, double MeanLoss);
