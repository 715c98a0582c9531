using System.Diagnostics;

namespace Holdout.Tests.Cli;

/// <summary>Runs the <c>holdout</c> command-line tool (built beside the tests) as a separate process.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    /// <summary>Starts the tool with its output redirected; <paramref name="environment"/> adds variables (e.g. HOLDOUT_PAUSE_AT).</summary>
    public static Process Start(IEnumerable<string> args, string? workingDirectory = null, string program = "Holdout.Cli.dll",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    public static Result Run(params string[] args) => RunProgram("Holdout.Cli.dll", args);

    /// <summary>Runs another program built beside the tests (e.g. a sample), by its assembly file name.</summary>
    public static Result RunProgram(string program, params string[] args)
    {
        using var process = Start(args, program: program);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, errors.Result);
    }

    /// <summary>Sends a POSIX signal (e.g. <c>INT</c>, what Ctrl-C sends) to a process.</summary>
    public static void Signal(Process process, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {process.Id} failed with exit code {kill.ExitCode}");
    }
}
