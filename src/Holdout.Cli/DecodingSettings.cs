namespace Holdout.Cli;

/// <summary>
/// The options of the commands that decode images in batches (<c>train</c>, <c>lr-find</c>, <c>preview</c>,
/// <c>evaluate</c>, <c>predict</c>): how many threads decode them.
/// </summary>
internal abstract class DecodingSettings : ImageReadingSettings
{
    [CommandOption("--workers <N>")]
    [Description("Image decoding workers (0 = one per core).")]
    [DefaultValue(0)]
    public int Workers { get; init; }

}
