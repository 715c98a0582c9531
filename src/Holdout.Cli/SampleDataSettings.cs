using System.ComponentModel;
using Spectre.Console.Cli;

namespace Holdout.Cli;

/// <summary>
/// The run options of the commands that train (<c>train</c>, <c>lr-find</c>): DATA is optional (the sample dataset
/// by default) and training batches are read with a batch size and decoding workers.
/// </summary>
internal abstract class SampleDataSettings : RunSettings
{
    [CommandArgument(0, "[DATA]")]
    [Description("Images: a folder with one subfolder per class, a folder split into train/val/test, or a CSV manifest (path,label[[,split]]). Default: the sample in samples/beans.")]
    public string? Data { get; init; }

    [CommandOption("--batch-size <N>")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    [CommandOption("--workers <N>")]
    [Description("Image decoding workers (0 = one per core).")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    public sealed override string? DataPath => Data;
}
