using System.Collections.Concurrent;

namespace Holdout.Tests;

/// <summary>Runs Debian's Python (the one with python3-onnx, python3-torch) for checks that need a reference library.</summary>
internal static class Python
{
    public const string Executable = "/usr/bin/python3";

    private static readonly ConcurrentDictionary<string, bool> Modules = new(StringComparer.Ordinal);

    /// <summary>Whether <c>import MODULE</c> succeeds (asked once per module and process).</summary>
    public static bool HasModule(string module) =>
        Modules.GetOrAdd(module, m => File.Exists(Executable) && Run($"import {m}").ExitCode == 0);

    /// <summary>Runs <paramref name="script"/> with the given arguments (sys.argv[1:]); text in and out is UTF-8.</summary>
    public static ChildProcess.Result Run(string script, params string[] args) =>
        ChildProcess.Run(Executable, ["-c", script, .. args], environment: new Dictionary<string, string> { ["PYTHONIOENCODING"] = "utf-8" });
}
