using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>Which <see cref="Precision"/> the hardware runs natively: the precondition for bfloat16, not the choice (<see cref="PrecisionChoices"/> measures that).</summary>
public static class PrecisionSupport
{
    private static readonly Lazy<bool> CpuBf16 = new(DetectCpuBf16);

    /// <summary>
    /// True when this x86 processor has bfloat16 arithmetic (AVX512_BF16 or AMX-BF16, from CPUID), so libtorch's
    /// oneDNN kernels compute bfloat16 convolutions natively instead of emulating them.
    /// </summary>
    public static bool CpuHasNativeBf16 => CpuBf16.Value;

    /// <summary>
    /// The precision without timing anything: <paramref name="requested"/>, or for <see cref="Precision.Auto"/> bfloat16
    /// where <paramref name="device"/> computes it natively. Native is not the same as faster (on some AVX512_BF16
    /// processors bfloat16 is slower than float32, see docs/benchmarks.md): <see cref="PrecisionChoices.Choose(ImageClassifier, Precision, PrecisionWorkload, int, int)"/> decides by measurement.
    /// </summary>
    /// <param name="requested">What the user asked for.</param>
    /// <param name="device">Where the model runs. Defaults to null: the CPU.</param>
    public static Precision Resolve(Precision requested, Device? device = null) => requested switch
    {
        Precision.Auto => (device?.type == DeviceType.CUDA || (device is null or { type: DeviceType.CPU } && CpuHasNativeBf16)) ? Precision.Bf16 : Precision.Fp32,
        _ => requested,
    };

    private static bool DetectCpuBf16()
    {
        if (!X86Base.IsSupported) return false;
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7) return false;
        var (_, _, _, edx0) = X86Base.CpuId(7, 0);
        var (eax1, _, _, _) = X86Base.CpuId(7, 1);
        bool avx512Bf16 = (eax1 & (1 << 5)) != 0 && Avx512F.IsSupported;
        bool amxBf16 = (edx0 & (1 << 22)) != 0;
        return avx512Bf16 || amxBf16;
    }
}
