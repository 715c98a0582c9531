namespace Holdout.Diagnostics.Checks;

/// <summary>What one check found, and its deciding measurement in a few words (also when it found nothing).</summary>
/// <param name="Findings">The findings, usually none or one.</param>
/// <param name="Observed">The measurement the decision rests on, for the "Checks run" line; null when nothing was measured.</param>
internal sealed record CheckOutcome(IReadOnlyList<Finding> Findings, string? Observed = null)
{
    /// <summary>Nothing found and nothing to show.</summary>
    public static CheckOutcome Nothing { get; } = new([]);

    /// <summary>One finding (or none when null), with the measurement.</summary>
    public static CheckOutcome Of(Finding? finding, string? observed = null) => new(finding is null ? [] : [finding], observed);
}
