using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using TorchSharp;

namespace Holdout.Native;

/// <summary>What this process runs Holdout with: runtime, engine versions, threads and native loading.</summary>
/// <param name="HoldoutVersion">The Holdout library version.</param>
/// <param name="DotNetRuntime">The .NET runtime description, e.g. <c>.NET 10.0.0</c>.</param>
/// <param name="OperatingSystem">The operating system and architecture.</param>
/// <param name="TorchSharpVersion">The TorchSharp assembly version.</param>
/// <param name="LibTorchVersion">The libtorch version reported by the engine, e.g. <c>2.10.0</c>.</param>
/// <param name="Threads">Intra-op threads the engine uses.</param>
/// <param name="Processor">The processor: on x86 its brand string, family and model from CPUID (the same bfloat16 run can
/// round differently on another family), elsewhere the architecture.</param>
/// <param name="CudaAvailable">Whether a CUDA device is usable.</param>
/// <param name="Native">How the native libraries were loaded.</param>
public sealed record EngineInfo(
    string HoldoutVersion,
    string DotNetRuntime,
    string OperatingSystem,
    string TorchSharpVersion,
    string LibTorchVersion,
    int Threads,
    string Processor,
    bool CudaAvailable,
    NativeRuntimeStatus Native)
{
    /// <summary>Loads the engine (see <see cref="NativeRuntime"/>) and describes it.</summary>
    public static EngineInfo Describe()
    {
        var native = NativeRuntime.EnsureInitialized();
        return new EngineInfo(
            typeof(EngineInfo).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            RuntimeInformation.FrameworkDescription,
            $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})",
            typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            torch.__version__,
            torch.get_num_threads(),
            DescribeProcessor(),
            torch.cuda.is_available(),
            native);
    }

    /// <summary>This processor, e.g. <c>AMD EPYC (family 26, model 2)</c>; the architecture where CPUID is not available.</summary>
    internal static string DescribeProcessor()
    {
        if (!X86Base.IsSupported) return RuntimeInformation.ProcessArchitecture.ToString();
        var (signature, _, _, _) = X86Base.CpuId(1, 0);
        int baseFamily = (signature >> 8) & 0xF, baseModel = (signature >> 4) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((signature >> 20) & 0xFF) : baseFamily;
        int model = baseFamily is 0x6 or 0xF ? baseModel + (((signature >> 16) & 0xF) << 4) : baseModel;
        var brand = new StringBuilder();
        var (maxExtended, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
        if (unchecked((uint)maxExtended) >= 0x80000004)
        {
            for (uint leaf = 0x80000002; leaf <= 0x80000004; leaf++)
            {
                var (a, b, c, d) = X86Base.CpuId(unchecked((int)leaf), 0);
                foreach (var register in new[] { a, b, c, d })
                    for (int i = 0; i < 4; i++) brand.Append((char)((register >> (8 * i)) & 0xFF));
            }
        }
        var name = brand.ToString().TrimEnd('\0').Trim();
        return $"{(name.Length > 0 ? name : RuntimeInformation.ProcessArchitecture.ToString())} (family {family}, model {model})";
    }
}
