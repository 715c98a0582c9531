using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Holdout.Native;

/// <summary>
/// Loads the deep-learning engine (libtorch through TorchSharp) before its first use, on systems where it does not
/// load by itself. Every Holdout entry point that touches tensors calls <see cref="EnsureInitialized"/>; code that
/// calls TorchSharp directly should call it once first.
/// </summary>
/// <remarks>
/// On Linux, TorchSharp 0.107's <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c>, which GCC 12's libstdc++
/// (Debian 12, Ubuntu 22.04) lacks. Where every needed version is present this class does nothing. Otherwise, when
/// <see cref="SymbolVersionPatch"/> shows the gap is safe to bridge, it writes a copy of the library with those
/// version entries marked weak into a per-user cache folder keyed by the original's SHA-256, preloads the
/// application's own <c>libtorch_cpu.so</c> and <c>libtorch.so</c> (the very files TorchSharp loads), then the
/// patched copy, so TorchSharp's own load finds it already in the process. It needs no compiler, root or network and
/// writes only in the cache folder (<c>$HOLDOUT_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/holdout</c>, else
/// <c>~/.cache/holdout</c>).
/// </remarks>
public static class NativeRuntime
{
    private const string BridgeLibrary = "libLibTorchSharp.so";
    private static readonly Lock Gate = new();
    private static NativeRuntimeStatus? _status;
    private static HoldoutException? _failure;

    /// <summary>
    /// Runs when the Holdout assembly is first used, so that any TorchSharp call made after touching Holdout (by
    /// Holdout or by the user's own code) finds the engine loaded. Failures are kept and reported by the next
    /// <see cref="EnsureInitialized"/> call with their full explanation, never thrown from here.
    /// </summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "libtorch must be patch-loaded before the first TorchSharp P/Invoke; doing it on first use of the library is the only place that precedes every such call.")]
    internal static void InitializeOnLoad()
    {
        try
        {
            EnsureInitialized();
        }
        catch (HoldoutException e)
        {
            _failure = e;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or BadImageFormatException)
        {
            _failure = new HoldoutException($"The deep-learning engine could not be loaded: {e.Message}", e);
        }
    }

    /// <summary>The load status, after <see cref="EnsureInitialized"/>.</summary>
    public static NativeRuntimeStatus Status => EnsureInitialized();

    /// <summary>
    /// Makes sure the engine's native libraries can load, patching and preloading them if this system needs it.
    /// Safe to call any number of times from any thread.
    /// </summary>
    /// <exception cref="HoldoutException">The engine cannot be loaded safely here; the message names the missing
    /// version, the file and the fix.</exception>
    public static NativeRuntimeStatus EnsureInitialized()
    {
        if (_status is { } done) return done;
        lock (Gate)
        {
            if (_status is null && _failure is { } failure)
            {
                _failure = null; // retry once: the environment may have been fixed (e.g. the cache folder made writable)
                try
                {
                    return _status = Initialize();
                }
                catch (Exception)
                {
                    throw failure;
                }
            }
            return _status ??= Initialize();
        }
    }

    private static NativeRuntimeStatus Initialize()
    {
        var heapReuse = HeapReuse.Apply();
        if (!OperatingSystem.IsLinux()) return new NativeRuntimeStatus(FindNativeDirectory(), false, null, [], heapReuse);
        var directory = FindNativeDirectory();
        if (directory is null) return new NativeRuntimeStatus(null, false, null, [], heapReuse); // TorchSharp reports what is missing
        var bridge = Path.Combine(directory, BridgeLibrary);
        var bytes = File.ReadAllBytes(bridge);
        var missing = SymbolVersionPatch.FindMissing(bytes, bridge, library => DefinedVersionsOf(library, directory));
        var toWeaken = missing.Where(m => !m.AlreadyWeak).ToList();
        if (toWeaken.Count == 0) return new NativeRuntimeStatus(directory, false, null, [], heapReuse);

        var patched = SymbolVersionPatch.Apply(bytes, bridge, toWeaken);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var copy = Path.Combine(CacheDirectory(), "native", hash, BridgeLibrary);
        if (!File.Exists(copy) || !File.ReadAllBytes(copy).AsSpan().SequenceEqual(patched))
            AtomicFile.WriteAllBytes(copy, patched);

        // Same files TorchSharp itself loads: loading libtorch from a second path aborts the process.
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch.so" })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) NativeLibrary.Load(path);
        }
        NativeLibrary.Load(copy);
        return new NativeRuntimeStatus(directory, true, copy, [.. toWeaken.Select(m => $"{m.Library}:{m.Version}")], heapReuse);
    }

    /// <summary>The per-user cache folder Holdout writes derived native files into.</summary>
    public static string CacheDirectory()
    {
        var explicitDirectory = Environment.GetEnvironmentVariable("HOLDOUT_CACHE_DIR");
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return explicitDirectory;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(xdg, "holdout");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "holdout");
    }

    /// <summary>The folder holding <c>libLibTorchSharp.so</c> that TorchSharp will load, or null.</summary>
    internal static string? FindNativeDirectory()
    {
        var rid = RuntimeInformation.RuntimeIdentifier.StartsWith("linux", StringComparison.Ordinal) ? "linux-x64" : RuntimeInformation.RuntimeIdentifier;
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) ?? "" };
        foreach (var root in roots.Where(r => r.Length > 0).Distinct())
        {
            foreach (var candidate in new[] { Path.Combine(root, "runtimes", rid, "native"), root })
            {
                if (File.Exists(Path.Combine(candidate, BridgeLibrary))) return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// The versions defined by the copy of <paramref name="library"/> the dynamic loader would use: the app's native
    /// folder first (libtorch's own libraries), then one already mapped into this process, then the library path
    /// and the system folders. Null when it cannot be found.
    /// </summary>
    private static IReadOnlySet<string>? DefinedVersionsOf(string library, string nativeDirectory)
    {
        var path = LocateLibrary(library, nativeDirectory);
        if (path is null) return null;
        try
        {
            return SymbolVersionPatch.ReadDefinedVersions(path);
        }
        catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? LocateLibrary(string library, string nativeDirectory)
    {
        var local = Path.Combine(nativeDirectory, library);
        if (File.Exists(local)) return local;
        var mapped = MappedLibraries().FirstOrDefault(p => Path.GetFileName(p) == library);
        if (mapped is not null) return mapped;
        var folders = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
                     "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"]);
        return folders.Select(f => Path.Combine(f, library)).FirstOrDefault(File.Exists);
    }

    private static IEnumerable<string> MappedLibraries()
    {
        string[] lines;
        try { lines = File.ReadAllLines("/proc/self/maps"); }
        catch (IOException) { yield break; }
        foreach (var line in lines)
        {
            int slash = line.IndexOf('/');
            if (slash >= 0) yield return line[slash..];
        }
    }
}
