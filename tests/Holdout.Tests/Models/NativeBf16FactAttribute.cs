using Holdout.Models;

namespace Holdout.Tests.Models;

/// <summary>A fact that needs a processor on which <c>--precision auto</c> times bfloat16: skipped, with the reason, on an x86 processor without bfloat16 arithmetic.</summary>
public sealed class NativeBf16FactAttribute : FactAttribute
{
    public NativeBf16FactAttribute()
    {
        if (System.Runtime.Intrinsics.X86.X86Base.IsSupported && !PrecisionSupport.CpuHasNativeBf16)
            Skip = "This x86 processor has no bfloat16 arithmetic (AVX512_BF16 or AMX), so --precision auto takes float32 without timing anything.";
    }
}
