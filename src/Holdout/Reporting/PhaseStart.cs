namespace Holdout.Reporting;

/// <summary>Where a phase of the recipe begins, for the learning curves: its name and its first epoch (1-based).</summary>
/// <param name="Name">The phase's name, e.g. "all layers, discriminative lr".</param>
/// <param name="FirstEpoch">The first epoch the phase trained.</param>
internal sealed record PhaseStart(string Name, int FirstEpoch);
