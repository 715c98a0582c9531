namespace Holdout;

/// <summary>
/// The tags that give each use of the user's seed its own stream (<see cref="Seeds.Derive"/>,
/// <see cref="SeededRandom.Mix"/>). Their values are part of reproducibility: changing one changes every run made
/// with that seed, so they never change.
/// </summary>
internal static class SeedPurpose
{
    /// <summary>The training loader's seed (its order and augmentation derive from it).</summary>
    public const long TrainingLoader = 0xda7a;

    /// <summary>A loader's per-epoch sample order.</summary>
    public const long LoaderOrder = 0x0DE5;

    /// <summary>Per-sample augmentation parameters.</summary>
    public const long Augmentation = 0xA06;

    /// <summary>The order of cached features (frozen recipe).</summary>
    public const long FeatureOrder = 0xfea7;

    /// <summary>The per-epoch shuffle of an in-memory tensor source.</summary>
    public const long TensorShuffle = 0x5eed;

    /// <summary>Dropout and other randomness in each training epoch.</summary>
    public const long EpochRandomness = 0xd0;

    /// <summary>The split's per-class assignment.</summary>
    public const long Split = 0x5B117;
}
