namespace Holdout.Data;

/// <summary>What <see cref="Splitter"/> produced: the manifest, the duplicate groups it found and any that straddle splits.</summary>
/// <param name="Manifest">The split.</param>
/// <param name="Duplicates">Duplicate groups over the dataset's samples (indices refer to <see cref="ImageDataset.Samples"/>).</param>
/// <param name="CrossSplitGroups">Groups whose members ended up in more than one split; only possible when the
/// dataset came already split (its given split is kept as is, so the leak is reported instead).</param>
public sealed record SplitResult(SplitManifest Manifest, DuplicateGroups Duplicates, IReadOnlyList<DuplicateGroup> CrossSplitGroups);
