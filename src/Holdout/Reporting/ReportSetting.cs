namespace Holdout.Reporting;

/// <summary>One row of the report's configuration table: a setting and the value the run used.</summary>
/// <param name="Name">The setting, e.g. <c>precision</c>.</param>
/// <param name="Value">The value the run used (the effective one).</param>
/// <param name="Given">The value the user gave, when it differs from <paramref name="Value"/> (e.g. <c>auto</c> for a
/// precision the run chose); null when they are the same or nothing was given. Shown as <c>given → value</c>.</param>
internal sealed record ReportSetting(string Name, string Value, string? Given = null);
