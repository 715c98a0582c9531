namespace Holdout.Training;

/// <summary>What <see cref="LinearProbe.Fit"/> found.</summary>
/// <param name="WeightDecay">The weight decay chosen on validation.</param>
/// <param name="Iterations">L-BFGS iterations over all candidates.</param>
/// <param name="TrainLoss">The training loss at the solution (without the penalty).</param>
/// <param name="TrainAccuracy">Training accuracy at the solution.</param>
/// <param name="ValidationLoss">Validation loss at the solution (NaN without validation).</param>
/// <param name="ValidationAccuracy">Validation accuracy at the solution (NaN without validation).</param>
/// <param name="Seconds">Seconds the fits took.</param>
/// <param name="Candidates">The weight decay and validation loss of every candidate fitted, in the order they were fitted (the sweep stops early: see <see cref="LinearProbe.Patience"/>).</param>
public sealed record ProbeResult(double WeightDecay, int Iterations, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy,
    double Seconds, IReadOnlyList<(double WeightDecay, double ValidationLoss)> Candidates);
