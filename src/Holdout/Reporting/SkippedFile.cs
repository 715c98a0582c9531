namespace Holdout.Reporting;

/// <summary>A file the data loader left out (unreadable, not an image, duplicate, …), listed in the report.</summary>
/// <param name="Path">The file's path as the user gave or the loader found it.</param>
/// <param name="Reason">Why it was left out, in words.</param>
public sealed record SkippedFile(string Path, string Reason);
