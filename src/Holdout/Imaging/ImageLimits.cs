using System.Globalization;

namespace Holdout.Imaging;

/// <summary>
/// The largest image Holdout decodes, in pixels (width x height), checked from the file's header before any pixel is
/// decoded: a larger file is skipped and reported with its dimensions (a "decompression bomb" such as a 30000 x 30000
/// PNG of 875 KB would otherwise need 3.6 GB of memory). The limit in force is
/// <see cref="DefaultMaxPixels"/> unless a caller changes it: per call with the <c>MaxPixels</c> of
/// <see cref="Data.DiscoveryOptions"/>, <see cref="Data.BatchLoaderOptions"/>, <see cref="Inference.PredictorOptions"/>
/// or <see cref="Diagnostics.DataAuditOptions"/>, or for everything a piece of code does (its threads and tasks
/// included) with <see cref="Use"/>; the command-line tool's <c>--max-pixels</c> does the latter.
/// </summary>
/// <example>
/// <code>
/// using (ImageLimits.Use(400_000_000))   // accept scans up to 400 megapixels in this block
/// {
///     var dataset = DatasetDiscovery.Discover("scans/");
/// }
/// </code>
/// </example>
public static class ImageLimits
{
    /// <summary>
    /// The default limit: 178,956,970 pixels (179 megapixels, e.g. 16,000 x 11,000), Pillow's: Pillow warns above
    /// <c>Image.MAX_IMAGE_PIXELS</c> = 89,478,485 (1 GiB / 4 bytes / 3) and refuses with a
    /// <c>DecompressionBombError</c> above twice that. Taking Pillow's refusal point means that every dataset a
    /// PyTorch/torchvision pipeline reads, Holdout reads too, while a bomb is refused before it allocates; no camera
    /// photo comes near it (a 50-megapixel sensor is 8,688 x 5,792), and the few decoders that cannot scale while
    /// decoding (PNG) need at most 716 MB for one image at this size.
    /// </summary>
    public const long DefaultMaxPixels = 178_956_970;

    private static readonly AmbientSetting<long?> Scoped = new();

    /// <summary>The limit in force here: the innermost <see cref="Use"/> scope's, else <see cref="DefaultMaxPixels"/>.</summary>
    public static long MaxPixels => Scoped.Value ?? DefaultMaxPixels;

    /// <summary>
    /// Sets the limit for the code that runs until the returned scope is disposed, including the threads and tasks
    /// it starts (the value flows with the execution context, so concurrent callers do not see each other's limit).
    /// </summary>
    /// <param name="maxPixels">The largest accepted width x height, at least 1.</param>
    /// <returns>Restores the previous limit when disposed.</returns>
    /// <exception cref="HoldoutException"><paramref name="maxPixels"/> is below 1.</exception>
    public static IDisposable Use(long maxPixels)
    {
        Validate(maxPixels);
        return Scoped.Use(maxPixels);
    }

    /// <summary>Refuses a limit below one pixel, naming the option.</summary>
    /// <param name="maxPixels">The limit to check.</param>
    /// <exception cref="HoldoutException"><paramref name="maxPixels"/> is below 1.</exception>
    public static void Validate(long maxPixels)
    {
        if (maxPixels < 1)
        {
            throw new HoldoutException(
                $"--max-pixels must be at least 1, got {maxPixels}. Give the largest width x height to accept, e.g. {DefaultMaxPixels} (the default).");
        }
    }

    /// <summary>Null when a <paramref name="width"/> x <paramref name="height"/> image is within the limit, else the reason it is refused.</summary>
    internal static string? Refusal(int width, int height, long maxPixels)
    {
        var pixels = (long)width * height;
        if (pixels <= maxPixels)
        {
            return null;
        }
        return $"too large: {width}x{height} = {Megapixels(pixels)} megapixels, over the limit of {Megapixels(maxPixels)} (--max-pixels)";
    }

    /// <summary>One decimal (179.0), more below one megapixel so that small limits do not read as 0.0.</summary>
    private static string Megapixels(long pixels) =>
        (pixels / 1e6).ToString(pixels >= 1_000_000 ? "0.0" : "0.0##", CultureInfo.InvariantCulture);
}
