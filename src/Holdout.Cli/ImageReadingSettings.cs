using Holdout.Data;
using Holdout.Imaging;

namespace Holdout.Cli;

/// <summary>
/// The options every command that decodes images shares: the pixel limit (<c>--max-pixels</c>); and the per-user
/// cache of image measurements, so that repeated commands on unchanged files do not decode them again; and the per-user
/// cache of <c>--precision auto</c>'s timings, so that a shape is timed once per machine.
/// </summary>
internal abstract class ImageReadingSettings : ValidatedSettings
{
    [CommandOption("--max-pixels <N>")]
    [Description("Largest image accepted, as width x height in pixels; larger files are skipped and reported with their dimensions before anything is decoded. The default is Pillow's decompression-bomb limit (179 megapixels).")]
    [DefaultValue(ImageLimits.DefaultMaxPixels)]
    public long MaxPixels { get; init; } = ImageLimits.DefaultMaxPixels;

    /// <summary>Checks <see cref="MaxPixels"/>; a command that checks more calls this first.</summary>
    protected override void Check() => ImageLimits.Validate(MaxPixels);

    /// <summary>Applies <see cref="MaxPixels"/>, the measurement cache and the precision cache to everything the command does until disposed.</summary>
    /// <exception cref="HoldoutException">The value is below 1.</exception>
    public IDisposable UseImageSettings() => new Scopes(ImageLimits.Use(MaxPixels), MeasurementCache.Use(MeasurementCache.DefaultFolder),
        Holdout.Models.PrecisionChoices.Use(Holdout.Models.PrecisionChoices.DefaultFolder));

    private sealed class Scopes(params IDisposable[] scopes) : IDisposable
    {
        public void Dispose()
        {
            foreach (var scope in scopes.Reverse())
            {
                scope.Dispose();
            }
        }
    }
}
