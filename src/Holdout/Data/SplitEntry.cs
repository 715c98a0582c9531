namespace Holdout.Data;

/// <summary>One row of a split manifest.</summary>
/// <param name="Path">Full path of the image.</param>
/// <param name="Label">Its class name.</param>
/// <param name="Split">The split it belongs to.</param>
/// <param name="Group">Duplicate group number: rows with the same number are the same photo and share a split.</param>
public sealed record SplitEntry(string Path, string Label, DataSplit Split, int Group);
