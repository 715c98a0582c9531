using Holdout.Models;
using Holdout.Runs;

namespace Holdout.Cli;

/// <summary>
/// The run options of the commands that train (<c>train</c>, <c>lr-find</c>): DATA is optional (the sample dataset
/// by default) and training batches have a size and a number format.
/// </summary>
internal abstract class SampleDataSettings : RunSettings
{
    [CommandArgument(0, "[DATA]")]
    [Description("Images: a folder with one subfolder per class, a folder split into train/val/test, or a CSV manifest (path,label[[,split]]). Default: the sample in samples/beans.")]
    public string? Data { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Images per training batch.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    [CommandOption("--precision <P>")]
    [Description("The backbone's number format: auto (the faster of fp32 and bf16 on this machine for this model, batch and size, measured once and cached; fp32 where the processor has no bf16 arithmetic), fp32 or bf16 (mixed precision: bfloat16 convolutions, float32 weights, statistics, loss).")]
    [DefaultValue("auto")]
    public string Precision { get; init; } = "auto";

    public sealed override string? DataPath => Data;

    protected sealed override TrainRunOptions Complete(TrainRunOptions shared) =>
        CompleteTraining(shared with { BatchSize = BatchSize, Precision = OptionNames.Parse<Precision>("--precision", Precision) });

    /// <summary>Adds the command's own training options (none by default).</summary>
    protected virtual TrainRunOptions CompleteTraining(TrainRunOptions shared) => shared;
}
