using System.Collections.Concurrent;
using System.Diagnostics;

namespace Holdout.Tests;

/// <summary>Runs Debian's Python (the one with python3-onnx, python3-torch) for checks that need a reference library.</summary>
internal static class Python
{
    public const string Executable = "/usr/bin/python3";

    private static readonly ConcurrentDictionary<string, bool> Modules = new(StringComparer.Ordinal);

    public sealed record Result(int ExitCode, string Output, string Errors);

    /// <summary>Whether <c>import MODULE</c> succeeds (asked once per module and process).</summary>
    public static bool HasModule(string module) =>
        Modules.GetOrAdd(module, m => File.Exists(Executable) && Run($"import {m}").ExitCode == 0);

    /// <summary>Runs <paramref name="script"/> with the given arguments (sys.argv[1:]).</summary>
    public static Result Run(string script, params string[] args)
    {
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, errors.Result);
    }
}
