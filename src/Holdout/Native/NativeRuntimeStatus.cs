namespace Holdout.Native;

/// <summary>How the deep-learning engine's native libraries were loaded in this process.</summary>
/// <param name="NativeDirectory">The folder the engine's native libraries were loaded from.</param>
/// <param name="CompatibilityLoaderUsed">Whether a version-patched copy of the TorchSharp bridge library was loaded.</param>
/// <param name="PatchedLibraryPath">The patched copy's path (in the per-user cache), when one was used.</param>
/// <param name="WeakenedVersions">The needed symbol versions marked weak in that copy, e.g. <c>libstdc++.so.6:GLIBCXX_3.4.32</c>.</param>
/// <param name="HeapReuse">Whether glibc's allocator keeps freed tensor buffers for reuse, as asked for through <see cref="HoldoutRuntimeOptions.TuneAllocator"/> (Linux; off with
/// <c>HOLDOUT_MALLOC=system</c>): large buffers come from the heap instead of fresh page-faulting mappings.</param>
public sealed record NativeRuntimeStatus(
    string? NativeDirectory,
    bool CompatibilityLoaderUsed,
    string? PatchedLibraryPath,
    IReadOnlyList<string> WeakenedVersions,
    bool HeapReuse = false);
