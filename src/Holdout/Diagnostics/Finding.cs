namespace Holdout.Diagnostics;

/// <summary>
/// One thing the doctor found: a stable <paramref name="Code"/> (see <see cref="FindingCodes"/>), how much it
/// matters, a one-line message in plain words, the evidence (numbers, file paths, example pairs) and a suggested fix.
/// </summary>
/// <param name="Code">Stable identifier, e.g. <c>cross-split-duplicate</c>; scripts match on it.</param>
/// <param name="Severity">Error, warning or info.</param>
/// <param name="Message">One line saying what is wrong, in plain words.</param>
/// <param name="Evidence">Lines of evidence: measured numbers, file paths, example pairs.</param>
/// <param name="Fix">What to do about it.</param>
/// <param name="Seconds">How long the check that produced it took, for checks that train; null otherwise. Defaults to null.</param>
/// <param name="Files">Files the check wrote to show its evidence (e.g. a montage PNG); null or empty for none. Defaults to null.</param>
public sealed record Finding(string Code, FindingSeverity Severity, string Message, IReadOnlyList<string> Evidence, string Fix, double? Seconds = null,
    IReadOnlyList<string>? Files = null);
