namespace Holdout.Data;

/// <summary>
/// When two images count as duplicates. Exact duplicates have identical decoded pixels. Near-duplicates (the same
/// photo re-encoded or resized) have a dHash Hamming distance of at most <paramref name="MaxDifferenceHashDistance"/>
/// AND a pHash distance of at most <paramref name="MaxDctHashDistance"/> (of 64 bits each). Requiring both keeps
/// distinct but similar-looking photos (leaves on the same background) apart. Measured on the 1167 beans training
/// images (<c>Holdout.Bench hashes</c>): a JPEG quality-75 re-encode or a 0.8x resize of 200 of them moved dHash by at
/// most 7 bits and pHash by at most 8; among the 680k distinct pairs no pair was within 15 bits on both (closest:
/// dHash 13 with pHash 16). The default 10/10 sits between the two.
/// </summary>
/// <param name="MaxDifferenceHashDistance">Largest dHash distance for a near-duplicate. Defaults to 10.</param>
/// <param name="MaxDctHashDistance">Largest pHash distance for a near-duplicate. Defaults to 10.</param>
/// <param name="NearDuplicates">When false, only exact duplicates are grouped. Defaults to true.</param>
/// <param name="Workers">Threads that decode and hash images. Defaults to 0 = one per processor core.</param>
public sealed record DuplicateOptions(
    int MaxDifferenceHashDistance = 10,
    int MaxDctHashDistance = 10,
    bool NearDuplicates = true,
    int Workers = 0);
