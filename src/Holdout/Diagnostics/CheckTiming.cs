namespace Holdout.Diagnostics;

/// <summary>How long one group of checks took.</summary>
/// <param name="Check">The check's name, e.g. <c>one-batch-overfit</c> or <c>data</c>.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Trains">True when the check runs training steps (only under --deep).</param>
public sealed record CheckTiming(string Check, double Seconds, bool Trains);
