namespace Holdout;

/// <summary>
/// Derives independent, deterministic seeds from the one user seed (SplitMix64 mixing, see <see cref="SeededRandom"/>),
/// so splitting, shuffling, augmentation and initialisation each get their own stream (named by a
/// <see cref="SeedPurpose"/>) and a run is reproducible in any process. (<see cref="HashCode"/> is randomised per
/// process and must never be used for this.)
/// </summary>
internal static class Seeds
{
    /// <summary>A seed derived from <paramref name="seed"/> and the given parts (a <see cref="SeedPurpose"/>, epoch, sample...).</summary>
    public static long Derive(long seed, params ReadOnlySpan<long> parts)
    {
        ulong state = Mix((ulong)seed);
        foreach (var part in parts) state = Mix(state ^ Mix((ulong)part + SeededRandom.Golden));
        return (long)(state & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>A 32-bit seed for <see cref="Random"/>, derived like <see cref="Derive"/>.</summary>
    public static int Derive32(long seed, params ReadOnlySpan<long> parts) => (int)(Derive(seed, parts) & 0x7FFF_FFFF);

    private static ulong Mix(ulong z) => SeededRandom.Scramble(z + SeededRandom.Golden);
}
