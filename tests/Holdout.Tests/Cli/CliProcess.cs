using System.Diagnostics;

namespace Holdout.Tests.Cli;

/// <summary>Runs the <c>holdout</c> command-line tool (built beside the tests) as a separate process.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    public static Process Start(IEnumerable<string> args, string? workingDirectory = null, string program = "Holdout.Cli.dll")
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
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
}
