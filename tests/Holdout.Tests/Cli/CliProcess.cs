namespace Holdout.Tests.Cli;

/// <summary>Runs the <c>holdout</c> command-line tool (built beside the tests) as a separate process, through <see cref="ChildProcess"/>.</summary>
internal static class CliProcess
{
    /// <summary>Starts the tool (or another program built beside the tests, by its assembly file name); <paramref name="environment"/> adds variables (e.g. HOLDOUT_PAUSE_AT).</summary>
    public static ChildProcess Start(IEnumerable<string> args, string? workingDirectory = null, string program = "Holdout.Cli.dll",
        IReadOnlyDictionary<string, string>? environment = null) =>
        ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, program), .. args], workingDirectory, environment);

    /// <summary>Runs the tool to the end (the test fails if it takes over <see cref="ChildProcess.DefaultTimeout"/>).</summary>
    public static ChildProcess.Result Run(params string[] args) => RunProgram("Holdout.Cli.dll", args);

    /// <summary>Runs the tool to the end with the given limit, working directory and environment.</summary>
    public static ChildProcess.Result Run(IEnumerable<string> args, TimeSpan? timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, string program = "Holdout.Cli.dll")
    {
        using var process = Start(args, workingDirectory, program, environment);
        return process.WaitForExit(timeout);
    }

    /// <summary>Runs another program built beside the tests (e.g. a sample), by its assembly file name.</summary>
    public static ChildProcess.Result RunProgram(string program, params string[] args) => Run(args, timeout: null, program: program);
}
