using System.Runtime.InteropServices;
using TorchSharp;

namespace Holdout.Native;

/// <summary>What this process runs Holdout with: runtime, engine versions, threads and native loading.</summary>
/// <param name="HoldoutVersion">The Holdout library version.</param>
/// <param name="DotNetRuntime">The .NET runtime description, e.g. <c>.NET 10.0.0</c>.</param>
/// <param name="OperatingSystem">The operating system and architecture.</param>
/// <param name="TorchSharpVersion">The TorchSharp assembly version.</param>
/// <param name="LibTorchVersion">The libtorch version reported by the engine, e.g. <c>2.10.0</c>.</param>
/// <param name="Threads">Intra-op threads the engine uses.</param>
/// <param name="CudaAvailable">Whether a CUDA device is usable.</param>
/// <param name="Native">How the native libraries were loaded.</param>
public sealed record EngineInfo(
    string HoldoutVersion,
    string DotNetRuntime,
    string OperatingSystem,
    string TorchSharpVersion,
    string LibTorchVersion,
    int Threads,
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
            torch.cuda.is_available(),
            native);
    }
}
