using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Holdout.Native;

/// <summary>
/// Loads the deep-learning engine (libtorch through TorchSharp) before its first use, on systems where it does not
/// load by itself. Every Holdout entry point that touches tensors calls <see cref="EnsureInitialized"/> (the engine is
/// loaded on first use, never when the library is loaded); code that calls TorchSharp directly before any Holdout
/// call should call it once first.
/// </summary>
/// <remarks>
/// On Linux, TorchSharp 0.107's <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c>, which GCC 12's libstdc++
/// (Debian 12, Ubuntu 22.04) lacks. Where every needed version is present this class does nothing. Otherwise, when
/// <see cref="SymbolVersionPatch"/> shows the gap is safe to bridge, it writes a copy of the library with those
/// version entries marked weak into a per-user cache folder keyed by the original's SHA-256, preloads the
/// application's own <c>libtorch_cpu.so</c> and <c>libtorch.so</c> (the very files TorchSharp loads), then the
/// patched copy, so TorchSharp's own load finds it already in the process. It needs no compiler, root or network and
/// writes only in the cache folder (<c>$HOLDOUT_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/holdout</c>, else
/// <c>~/.cache/holdout</c>). It changes nothing else in the process: process-wide tuning is opt-in through
/// <see cref="HoldoutRuntime.Initialize"/>.
/// </remarks>
public static class NativeRuntime
{
    private const string BridgeLibrary = "libLibTorchSharp.so";
    private static readonly Lock Gate = new();
    private static NativeRuntimeStatus? _status;

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
        if (_status is { } done) return done with { HeapReuse = HeapReuse.InEffect };
        lock (Gate)
        {
            // A failure is not kept: the next call tries again (the environment may have been fixed meanwhile).
            _status ??= Initialize();
            return _status with { HeapReuse = HeapReuse.InEffect };
        }
    }

    private static NativeRuntimeStatus Initialize()
    {
        if (!OperatingSystem.IsLinux()) return new NativeRuntimeStatus(FindNativeDirectory(), false, null, []);
        var directory = RequireEngine(FindNativeDirectory());
        var bridge = Path.Combine(directory, BridgeLibrary);
        var bytes = File.ReadAllBytes(bridge);
        var missing = SymbolVersionPatch.FindMissing(bytes, bridge, library => DefinedVersionsOf(library, directory));
        var toWeaken = missing.Where(m => !m.AlreadyWeak).ToList();
        if (toWeaken.Count == 0) return new NativeRuntimeStatus(directory, false, null, []);

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
        return new NativeRuntimeStatus(directory, true, copy, [.. toWeaken.Select(m => $"{m.Library}:{m.Version}")]);
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
        var rid = NativeRid;
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
    /// The runtime identifier of the engine package's native folder for this process: <c>linux-x64</c> or
    /// <c>linux-arm64</c> on Linux (by the process architecture, whatever the distribution-specific identifier), else
    /// the runtime's own identifier (<c>win-x64</c>, <c>osx-arm64</c>, ...).
    /// </summary>
    internal static string NativeRid => NativeRidFor(OperatingSystem.IsLinux(), RuntimeInformation.ProcessArchitecture, RuntimeInformation.RuntimeIdentifier);

    /// <summary><see cref="NativeRid"/> for a given system, architecture and runtime identifier.</summary>
    internal static string NativeRidFor(bool linux, Architecture architecture, string runtimeIdentifier) => linux
        ? "linux-" + architecture.ToString().ToLowerInvariant()
        : runtimeIdentifier;

    /// <summary>
    /// The Linux native folder when it holds both TorchSharp's bridge and libtorch itself; otherwise a
    /// <see cref="HoldoutException"/> that names the package to add. Without this check TorchSharp would go on to
    /// load whatever libtorch the system offers (Debian's python3-torch, say) and die on an undefined symbol.
    /// </summary>
    internal static string RequireEngine(string? directory)
    {
        if (directory is null)
            throw new HoldoutException(MissingEngineMessage($"TorchSharp's {BridgeLibrary} was not found in runtimes/{NativeRid}/native beside the application ({AppContext.BaseDirectory})"));
        if (!File.Exists(Path.Combine(directory, "libtorch_cpu.so")))
            throw new HoldoutException(MissingEngineMessage($"{directory} holds TorchSharp's {BridgeLibrary} but not libtorch_cpu.so"));
        return directory;
    }

    /// <summary>
    /// What to do when the engine's native libraries are not in the application: the libtorch package to add for
    /// this platform. The engine is the application's choice (the library does not depend on one platform's package).
    /// </summary>
    internal static string MissingEngineMessage(string finding)
    {
        var package = "libtorch-cpu-" + NativeRid;
        var advice = NativeRid is "linux-x64" or "win-x64" or "win-arm64" or "osx-arm64"
            ? $"Add the engine package for this platform to the application: 'dotnet add package {package} --version {LibTorchPackageVersion}' " +
              "(or 'TorchSharp-cpu', which bundles it), then build again. A libtorch installed elsewhere on the system (for example Debian's " +
              "python3-torch) is a different version and cannot be used."
            : $"No libtorch {LibTorchPackageVersion} CPU package is published for {NativeRid}: build libtorch {LibTorchPackageVersion} and TorchSharp's " +
              $"{BridgeLibrary} for it and place them in runtimes/{NativeRid}/native beside the application.";
        return $"The deep-learning engine is missing: {finding}. {advice}";
    }

    /// <summary>The libtorch version the TorchSharp this library is built against needs.</summary>
    internal const string LibTorchPackageVersion = "2.10.0";

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
