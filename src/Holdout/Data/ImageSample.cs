namespace Holdout.Data;

/// <summary>One labelled image of a dataset.</summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="Label">Index of its class in the dataset's class names.</param>
/// <param name="GivenSplit">The split the dataset's layout or manifest put it in, or null when the dataset is not split yet.</param>
public sealed record ImageSample(string Path, int Label, DataSplit? GivenSplit = null);
