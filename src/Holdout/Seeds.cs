namespace Holdout;

/// <summary>
/// Derives independent, deterministic seeds from the one user seed (SplitMix64 mixing), so splitting, shuffling,
/// augmentation and initialisation each get their own stream and a run is reproducible in any process.
/// (<see cref="HashCode"/> is randomised per process and must never be used for this.)
/// </summary>
public static class Seeds
{
    /// <summary>A seed derived from <paramref name="seed"/> and the given parts (e.g. a purpose tag, epoch, sample).</summary>
    public static long Derive(long seed, params ReadOnlySpan<long> parts)
    {
        ulong state = Mix((ulong)seed);
        foreach (var part in parts) state = Mix(state ^ Mix((ulong)part + 0x9E3779B97F4A7C15UL));
        return (long)(state & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>A 32-bit seed for <see cref="Random"/>, derived like <see cref="Derive"/>.</summary>
    public static int Derive32(long seed, params ReadOnlySpan<long> parts) => (int)(Derive(seed, parts) & 0x7FFF_FFFF);

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
