using System.Globalization;

namespace Holdout.Diagnostics;

/// <summary>How long one group of checks took, and what it measured.</summary>
/// <param name="Check">The check's name, e.g. <c>one-batch-overfit</c> or <c>data</c>.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Deep">True for a deep check (run only under --deep): it trains, or fits a probe on many samples.</param>
/// <param name="Observed">The check's deciding measurement in a few words (e.g. held-out accuracy with real and
/// shuffled labels), shown also when nothing was found, so a clean result can be read too. Defaults to null.</param>
public sealed record CheckTiming(string Check, double Seconds, bool Deep, string? Observed = null)
{
    /// <summary>One line: the check, its time, whether it is deep, and what it measured, e.g. <c>init-loss 0.3 s: loss 1.099, priors give 1.099</c>.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"{Check} {Seconds:0.0} s{(Deep ? " (deep)" : "")}{(Observed is null ? "" : ": " + Observed)}");
}
