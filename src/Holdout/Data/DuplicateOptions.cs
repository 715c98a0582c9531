namespace Holdout.Data;

/// <summary>
/// When two images count as duplicates. Exact duplicates have identical decoded pixels. Near-duplicates (the same
/// photo re-encoded, resized or slightly brightened) must pass two tests: a perceptual hash proposes the pair (dHash
/// Hamming distance at most <paramref name="MaxDifferenceHashDistance"/> OR pHash distance at most
/// <paramref name="MaxDctHashDistance"/>, of 64 bits each), and their 16x16 grey thumbnails confirm it (correlation at
/// least <paramref name="MinThumbnailCorrelation"/>). The hashes only find candidates: on a plain background most of
/// dHash's bits compare two nearly equal cells and flip when the photo is re-encoded (a uniform-background copy moved
/// dHash by up to 16 bits while pHash moved 2), and distinct low-detail photos collide on both. The thumbnails decide.
/// A group holds only images that are all pairwise duplicates, so A like B and B like C does not put A with C unless
/// A is like C too.
/// <para>
/// The thresholds sit between what re-encoded, resized and brightened copies of real photos keep and what distinct
/// photos that pass the hash test reach (two shots of one hand in one pose, seconds apart); crops are not claimed.
/// The measurements behind them are in docs/doctor.md ("Duplicates").
/// </para>
/// </summary>
/// <param name="MaxDifferenceHashDistance">Largest dHash distance that makes a near-duplicate candidate. Defaults to 10.</param>
/// <param name="MaxDctHashDistance">Largest pHash distance that makes a near-duplicate candidate. Defaults to 10.</param>
/// <param name="MinThumbnailCorrelation">Smallest correlation of the 16x16 grey thumbnails (-1..1) that confirms a
/// candidate. Defaults to 0.975.</param>
/// <param name="NearDuplicates">When false, only exact duplicates are grouped. Defaults to true.</param>
/// <param name="Workers">Threads that decode and hash images. Defaults to 0 = one per processor core.</param>
public sealed record DuplicateOptions(
    int MaxDifferenceHashDistance = 10,
    int MaxDctHashDistance = 10,
    double MinThumbnailCorrelation = 0.975,
    bool NearDuplicates = true,
    int Workers = 0);
