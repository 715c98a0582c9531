namespace Holdout.Models;

/// <summary>
/// The number format of a backbone's convolutions (<c>--precision</c>). Weights, optimiser state, BatchNorm
/// statistics, the head, the loss and the softmax always stay float32; saved bundles are float32 and load anywhere.
/// </summary>
public enum Precision
{
    /// <summary>bfloat16 where the processor computes it natively (x86 AVX512_BF16 or AMX, a CUDA device), float32 elsewhere. The default.</summary>
    Auto,

    /// <summary>Float32 throughout.</summary>
    Fp32,

    /// <summary>Convolutions in bfloat16 (autocast-style mixed precision) with float32 master weights.</summary>
    Bf16,
}
