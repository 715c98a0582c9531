using Holdout.Data;

namespace Holdout.Diagnostics;

/// <summary>Thresholds of the data audit.</summary>
/// <param name="Duplicates">When two images count as the same photo; defaults to <see cref="DuplicateOptions"/>'s defaults (dHash or pHash within 10 bits, confirmed by thumbnails correlating at least 0.975).</param>
/// <param name="ImbalanceRatio">Largest over smallest training class from which class-imbalance is reported (as info; from 3x as a warning). Defaults to 1.5.</param>
/// <param name="ShiftEffectSize">Effect size (Cohen's d for measurements, Cohen's h for shares) from which a split counts as shifted. Defaults to 0.8 (a "large" effect).</param>
/// <param name="MinimumPerClass">Fewest images of a class in a split that can be trained on or measured. Defaults to 10.</param>
/// <param name="Workers">Threads that decode images. Defaults to 0 = one per processor core.</param>
/// <param name="MaxPixels">The largest width x height decoded; larger images are reported as unreadable with their
/// dimensions. Defaults to null = <see cref="Imaging.ImageLimits.MaxPixels"/>.</param>
public sealed record DataAuditOptions(
    DuplicateOptions? Duplicates = null,
    double ImbalanceRatio = 1.5,
    double ShiftEffectSize = 0.8,
    int MinimumPerClass = 10,
    int Workers = 0,
    long? MaxPixels = null);
