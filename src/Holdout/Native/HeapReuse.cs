using System.Runtime.InteropServices;

namespace Holdout.Native;

/// <summary>
/// Lets glibc's allocator keep freed tensor buffers for reuse instead of returning them to the system. Process-wide,
/// so only on request: <see cref="HoldoutRuntime.Initialize"/> with <see cref="HoldoutRuntimeOptions.TuneAllocator"/>
/// (the command-line tool asks for it).
/// </summary>
/// <remarks>
/// By default glibc serves every allocation above its mmap threshold (128 KiB, rising to at most 32 MiB) with a fresh
/// <c>mmap</c> and unmaps it when freed. A ResNet-18 forward pass on a batch of 32 at 224 px allocates activation
/// buffers of several MiB to 100 MiB, so every batch maps them anew and the kernel zero-fills each page on first
/// touch. With <c>M_MMAP_MAX = 0</c> (large blocks come from the heap) and <c>M_TRIM_THRESHOLD</c> at 2 GiB (freed
/// heap is kept), the buffers of one batch serve the next; docs/benchmarks.md has the measured effect on throughput.
/// The cost: the process keeps its peak heap until it exits. Set <c>HOLDOUT_MALLOC=system</c> to keep glibc's
/// defaults; settings made through <c>GLIBC_TUNABLES</c> or <c>MALLOC_*_</c> variables are respected (nothing is
/// changed). Only the main arena benefits (glibc unmaps a secondary thread arena's emptied heaps regardless), which
/// is where the CLI computes. Only glibc on Linux; elsewhere nothing is done.
/// </remarks>
internal static class HeapReuse
{
    /// <summary>The environment variable that turns it off (value <c>system</c>).</summary>
    public const string Variable = "HOLDOUT_MALLOC";

    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4;       // M_MMAP_MAX

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MalloptFunction(int parameter, int value);

    private static readonly Lock Gate = new();
    private static bool? _inEffect;

    /// <summary>Whether the settings were applied in this process (by <see cref="Apply"/>).</summary>
    public static bool InEffect => _inEffect == true;

    /// <summary>Applies the settings once (best before the engine allocates); returns whether they are in effect.</summary>
    public static bool Apply()
    {
        lock (Gate)
        {
            return _inEffect ??= TryApply();
        }
    }

    private static bool TryApply()
    {
        if (!OperatingSystem.IsLinux() || UserTunedAllocator()) return false;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var address)) return false;
        var mallopt = Marshal.GetDelegateForFunctionPointer<MalloptFunction>(address);
        // mallopt returns 1 on success; glibc applies each setting on its own.
        return mallopt(TrimThreshold, int.MaxValue) == 1 & mallopt(MmapMax, 0) == 1;
    }

    private static bool UserTunedAllocator()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(Variable), "system", StringComparison.OrdinalIgnoreCase)) return true;
        if (Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("glibc.malloc", StringComparison.Ordinal) == true) return true;
        return Environment.GetEnvironmentVariables().Keys.OfType<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal) && k.EndsWith('_'));
    }
}
