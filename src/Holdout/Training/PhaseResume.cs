namespace Holdout.Training;

/// <summary>Where a resumed run picks up inside a phase.</summary>
/// <param name="EpochsDone">Epochs of the phase already completed.</param>
/// <param name="OptimizerStatePath">The optimiser state saved after the last completed epoch, or null to start it fresh.</param>
internal sealed record PhaseResume(int EpochsDone, string? OptimizerStatePath);
