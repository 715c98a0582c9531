namespace Holdout.Models;

/// <summary>
/// The number format of a backbone's convolutions (<c>--precision</c>). Weights, optimiser state, BatchNorm
/// statistics, the head, the loss and the softmax always stay float32; saved bundles are float32 and load anywhere.
/// </summary>
public enum Precision
{
    /// <summary>
    /// The faster of float32 and bfloat16 for the work at hand, measured on this machine (<see cref="PrecisionChoices"/>:
    /// bfloat16 only when at least ~10 % faster; a CUDA device takes bfloat16 by rule). The default.
    /// </summary>
    Auto,

    /// <summary>Float32 throughout.</summary>
    Fp32,

    /// <summary>Convolutions in bfloat16 (autocast-style mixed precision) with float32 master weights.</summary>
    Bf16,
}
