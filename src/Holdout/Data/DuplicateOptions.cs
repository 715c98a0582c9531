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
/// Measured (<c>Holdout.Bench dupes</c>): copies of 300 sign-language-digits photos (100x100 hands on a plain
/// background) and 200 beans leaves (256x256) re-encoded at JPEG quality 50/75/95, resized 0.5x/0.8x/1.5x,
/// brightened by +15 levels or x1.1, or resized + brightened + re-encoded moved dHash by at most 5 bits and pHash by
/// at most 8, and kept a thumbnail correlation of at least 0.983 (the worst: a 0.5x resize to 50x50). Distinct
/// photos: 41737 of sign-language-digits' 2.1 million pairs pass the hash test (1233 with both hashes within 10), yet
/// none correlates above 0.9705 (two shots of one hand in one pose, seconds apart); beans has 17 such pairs, none
/// above 0.80. The default 0.975 sits between 0.9705 and 0.983. Crops are not claimed: cutting 2% off each side
/// already lowers the correlation to 0.947 (0.940 on beans).
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
