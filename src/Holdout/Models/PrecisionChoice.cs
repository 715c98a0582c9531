using System.Globalization;

namespace Holdout.Models;

/// <summary>What a model's work is, for choosing its <see cref="Precision"/>: training all layers, or inference only.</summary>
public enum PrecisionWorkload
{
    /// <summary>Forward and backward passes through every layer (the all-layers phase of fine-tuning, training from scratch).</summary>
    Training,

    /// <summary>Forward passes only (evaluation, prediction, the frozen backbone of a linear probe or frozen recipe).</summary>
    Inference,
}

/// <summary>
/// The precision a model computes in and why: what the user asked for, or what <see cref="Precision.Auto"/> measured
/// (<see cref="PrecisionChoices"/>).
/// </summary>
/// <param name="Precision">The precision used: <see cref="Precision.Fp32"/> or <see cref="Precision.Bf16"/>.</param>
/// <param name="Requested">What was asked for.</param>
/// <param name="Reason">Why, in words, e.g. <c>measured: a training step takes 0.52 s in bf16, 1.10 s in fp32</c>.</param>
/// <param name="Workload">The work that was timed; null when nothing was timed.</param>
/// <param name="BatchSize">The batch size that was timed; 0 when nothing was timed.</param>
/// <param name="ImageSize">The image side that was timed, in pixels; 0 when nothing was timed.</param>
/// <param name="Fp32Seconds">Seconds of one timed step in float32 (the fastest timed step); null when nothing was timed.</param>
/// <param name="Bf16Seconds">Seconds of one timed step in bfloat16 (the fastest timed step); null when nothing was timed.</param>
/// <param name="FromCache">True when the timings were measured earlier on this machine and read from the cache.</param>
public sealed record PrecisionChoice(
    Precision Precision,
    Precision Requested,
    string Reason,
    PrecisionWorkload? Workload = null,
    int BatchSize = 0,
    int ImageSize = 0,
    double? Fp32Seconds = null,
    double? Bf16Seconds = null,
    bool FromCache = false)
{
    /// <summary>True when the choice came from timing both precisions (now or earlier).</summary>
    public bool Measured => Fp32Seconds is not null && Bf16Seconds is not null;

    /// <summary>One line for logs: <c>bf16 (auto, measured: ...)</c>.</summary>
    public override string ToString() =>
        Requested == Precision.Auto ? $"{OptionNames.Of(Precision)} (auto: {Reason})" : OptionNames.Of(Precision);

    internal static string Describe(PrecisionWorkload workload, int batchSize, int imageSize, double fp32, double bf16) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(workload == PrecisionWorkload.Training ? "a training step" : "an inference batch")} of {batchSize} at {imageSize} px takes {bf16:0.000} s in bf16, {fp32:0.000} s in fp32");
}
