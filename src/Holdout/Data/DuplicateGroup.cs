namespace Holdout.Data;

/// <summary>Images that are the same photo (two or more), found by <see cref="DuplicateFinder"/>.</summary>
/// <param name="Id">Group number, unique within one <see cref="DuplicateGroups"/>.</param>
/// <param name="Members">Indices of the images in the list that was searched, ascending.</param>
/// <param name="Kind">Exact when all members share their pixels, else near.</param>
/// <param name="MaxDifferenceHashDistance">Largest dHash Hamming distance between two members (0 for exact).</param>
/// <param name="MaxDctHashDistance">Largest pHash Hamming distance between two members (0 for exact).</param>
/// <param name="MinThumbnailCorrelation">Smallest thumbnail correlation between two members (1 for exact).</param>
public sealed record DuplicateGroup(int Id, IReadOnlyList<int> Members, DuplicateKind Kind, int MaxDifferenceHashDistance, int MaxDctHashDistance,
    double MinThumbnailCorrelation);
