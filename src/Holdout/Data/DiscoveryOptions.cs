using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>Options for <see cref="DatasetDiscovery"/>.</summary>
/// <param name="Strict">When true, any unreadable file is an error instead of being skipped and reported. Defaults to false.</param>
/// <param name="Workers">Threads that check the images. Defaults to 0 = one per processor core.</param>
/// <param name="MaxPixels">The largest width x height accepted; larger images are skipped with their dimensions.
/// Defaults to null = <see cref="ImageLimits.MaxPixels"/> (179 megapixels unless changed).</param>
public sealed record DiscoveryOptions(bool Strict = false, int Workers = 0, long? MaxPixels = null)
{
    /// <summary>The pixel limit in effect: <see cref="MaxPixels"/> or <see cref="ImageLimits.MaxPixels"/>.</summary>
    public long EffectiveMaxPixels => MaxPixels ?? ImageLimits.MaxPixels;
}
