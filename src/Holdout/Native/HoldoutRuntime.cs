namespace Holdout.Native;

/// <summary>
/// The process-wide settings an application may opt in to. Loading the Holdout library changes nothing in the host
/// process: the engine is loaded on first use (<see cref="NativeRuntime.EnsureInitialized"/>), and thread-count
/// changes Holdout makes for its own work are scoped and restored. An application that owns its process (the
/// <c>holdout</c> tool, a batch job) calls <see cref="Initialize"/> once at start-up, before any training or inference.
/// </summary>
public static class HoldoutRuntime
{
    /// <summary>
    /// Applies the process-wide settings asked for in <paramref name="options"/>. Settings already applied stay
    /// applied (glibc offers no way back), so a later call with an option off changes nothing. The engine itself is
    /// still loaded on first use; call <see cref="NativeRuntime.EnsureInitialized"/> to load it now.
    /// </summary>
    /// <param name="options">What to apply.</param>
    /// <returns>What is in effect afterwards.</returns>
    public static HoldoutRuntimeOptions Initialize(HoldoutRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TuneAllocator) HeapReuse.Apply();
        return Current;
    }

    /// <summary>The process-wide settings in effect now.</summary>
    public static HoldoutRuntimeOptions Current => new() { TuneAllocator = HeapReuse.InEffect };
}

/// <summary>Process-wide settings an application opts in to through <see cref="HoldoutRuntime.Initialize"/>.</summary>
public sealed record HoldoutRuntimeOptions
{
    /// <summary>
    /// Lets glibc's allocator keep freed tensor buffers for reuse (Linux with glibc only): large activations then come
    /// from the heap instead of fresh, page-faulting mappings, which makes CPU training and inference markedly faster
    /// (docs/benchmarks.md), at the cost of keeping the peak heap until the process exits. Affects every allocation
    /// in the process, which is why it is off unless asked for. Ignored, and reported as not in effect, when
    /// <c>HOLDOUT_MALLOC=system</c> is set or the user tuned malloc through <c>GLIBC_TUNABLES</c> or <c>MALLOC_*_</c>
    /// variables. Defaults to false.
    /// </summary>
    public bool TuneAllocator { get; init; }
}
