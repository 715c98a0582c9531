namespace Holdout.Cli;

/// <summary>How the tool reports a usage mistake: one clear line on stderr, exit code 2.</summary>
internal static class CliErrors
{
    public const int UsageExitCode = 2;

    public static int Usage(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("Run 'holdout --help' or 'holdout <command> --help' for the options and their defaults.");
        return UsageExitCode;
    }
}
