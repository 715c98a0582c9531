namespace Holdout.Reporting;

/// <summary>One finding of <c>holdout doctor</c>, as the report shows it.</summary>
/// <param name="Severity">error, warning or info.</param>
/// <param name="Code">The finding's code, e.g. <c>cross-split-duplicate</c>.</param>
/// <param name="Message">What was found.</param>
/// <param name="Evidence">The lines that show it.</param>
/// <param name="Fix">What to do about it.</param>
internal sealed record ReportFinding(string Severity, string Code, string Message, IReadOnlyList<string> Evidence, string Fix);
