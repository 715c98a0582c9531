namespace Holdout;

/// <summary>
/// A small, fast, portable random generator (SplitMix64) whose sequence depends only on its seed, so results are
/// identical on every platform and .NET version. <see cref="Mix(long, long, long, long)"/> derives independent seeds
/// from (seed, epoch, sample, ...) so per-sample randomness does not depend on thread timing.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    public SeededRandom(ulong seed) => _state = seed;

    public SeededRandom(long seed) => _state = (ulong)seed;

    /// <summary>A well-mixed 64-bit seed from several values.</summary>
    public static ulong Mix(long a, long b = 0, long c = 0, long d = 0)
    {
        var h = Scramble((ulong)a ^ Golden);
        h = Scramble(h ^ (ulong)b);
        h = Scramble(h ^ (ulong)c);
        return Scramble(h ^ (ulong)d);
    }

    public ulong NextUInt64()
    {
        _state += Golden;
        return Scramble(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [0, exclusiveMax).</summary>
    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>SplitMix64's increment (the golden ratio in 64 bits).</summary>
    internal const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's finaliser: a bijective mix of 64 bits.</summary>
    internal static ulong Scramble(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
