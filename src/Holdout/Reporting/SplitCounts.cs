namespace Holdout.Reporting;

/// <summary>How many samples of each class one split holds, for the report's data summary.</summary>
/// <param name="Split">The split's name (<c>train</c>, <c>validation</c>, <c>test</c>, …).</param>
/// <param name="Counts">Samples per class, in the order of <see cref="ReportData.ClassNames"/>.</param>
internal sealed record SplitCounts(string Split, IReadOnlyList<int> Counts);
