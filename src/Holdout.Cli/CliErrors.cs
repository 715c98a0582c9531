namespace Holdout.Cli;

/// <summary>
/// How the tool reports a failure, the same way for every command: one line <c>error: ...</c> on stderr (the message
/// names the file or option, what was expected and how to fix it), never a stack trace unless <c>--verbose</c>.
/// Exit codes: 2 for a usage mistake (an option or argument the command cannot take), 1 for everything else
/// (<c>holdout doctor</c> uses 1 for "error findings", so it reports its own failures with 2).
/// </summary>
internal static class CliErrors
{
    public const int FailureExitCode = 1;
    public const int UsageExitCode = 2;

    /// <summary>Set in a data-parallel job (e.g. "rank 1 of 2: "): every error line names the rank that failed.</summary>
    public static string RankPrefix { get; set; } = "";

    /// <summary>Set by <c>--verbose</c>: failures also print their stack trace.</summary>
    public static bool Verbose { get; set; }

    /// <summary>Reports a usage mistake and returns <see cref="UsageExitCode"/>.</summary>
    public static int Usage(string message)
    {
        Write($"error: {message}");
        Console.Error.WriteLine("Run 'holdout --help' or 'holdout <command> --help' for the options and their defaults.");
        return UsageExitCode;
    }

    /// <summary>Reports a failure the user can fix (a <see cref="HoldoutException"/>) and returns <paramref name="exitCode"/>.</summary>
    public static int Failure(HoldoutException error, int exitCode = FailureExitCode)
    {
        Write($"error: {error.Message}");
        if (Verbose) Console.Error.WriteLine(error);
        return exitCode;
    }

    /// <summary>
    /// The last resort for anything else: one plain line naming the failure, the stack only with <c>--verbose</c>,
    /// exit code 1.
    /// </summary>
    public static int Unexpected(Exception error)
    {
        var inner = error is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : error;
        if (inner is HoldoutException holdout) return Failure(holdout);
        Write($"error: unexpected failure ({inner.GetType().Name}): {inner.Message.Split('\n')[0].Trim()}. " +
              (Verbose ? "The details follow." : "Run again with --verbose for the details, and please report it."));
        if (Verbose) Console.Error.WriteLine(error);
        return FailureExitCode;
    }

    private static void Write(string line)
    {
        AnsiConsole.Console.Profile.Out.Writer.Flush();
        Console.Out.Flush();
        Console.Error.WriteLine(RankPrefix + line);
    }
}
