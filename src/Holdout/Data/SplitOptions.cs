namespace Holdout.Data;

/// <summary>Options for <see cref="Splitter"/>.</summary>
/// <param name="Ratios">Train/validation/test fractions per class. Defaults to 70/15/15 (<see cref="SplitRatios.Default"/>).</param>
/// <param name="Seed">Seed for the random assignment; the same seed gives the same split. Defaults to 0.</param>
/// <param name="Duplicates">How duplicates are found; defaults to <see cref="DuplicateOptions"/>'s defaults.</param>
public sealed record SplitOptions(SplitRatios? Ratios = null, long Seed = SplitOptions.DefaultSeed, DuplicateOptions? Duplicates = null)
{
    /// <summary>The seed used when none is given: 0.</summary>
    public const long DefaultSeed = 0;

    /// <summary>The ratios, with the default filled in.</summary>
    public SplitRatios EffectiveRatios => Ratios ?? SplitRatios.Default;
}
