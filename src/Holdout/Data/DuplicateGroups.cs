using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>
/// The result of a duplicate search over a list of images: the groups of two or more, and for every image the group
/// it belongs to (an image without duplicates is alone in its own group, so group numbers cover every image).
/// </summary>
public sealed class DuplicateGroups
{
    private readonly int[] _groupOf;

    internal DuplicateGroups(IReadOnlyList<ImageFingerprint> fingerprints, int[] groupOf, IReadOnlyList<DuplicateGroup> groups)
    {
        Fingerprints = fingerprints;
        _groupOf = groupOf;
        Groups = groups;
    }

    /// <summary>The fingerprints of the images searched, in input order.</summary>
    internal IReadOnlyList<ImageFingerprint> Fingerprints { get; }

    /// <summary>Groups of two or more images, ordered by their first member.</summary>
    public IReadOnlyList<DuplicateGroup> Groups { get; }

    /// <summary>The group number of image <paramref name="index"/>; equal numbers mean the same photo.</summary>
    /// <param name="index">Index in the list that was searched.</param>
    public int GroupOf(int index) => _groupOf[index];

    /// <summary>Number of images searched.</summary>
    public int Count => _groupOf.Length;
}
