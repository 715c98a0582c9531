namespace Holdout.Data;

/// <summary>A file found in the dataset that was left out because it cannot be used, and why.</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="Reason">Why it was skipped, e.g. "truncated: the image data ends early" or "empty file (0 bytes)".</param>
public sealed record SkippedFile(string Path, string Reason);
