namespace Holdout.Tests.Cli;

/// <summary>
/// The tool started with <c>HOLDOUT_PAUSE_AT=POINT</c> and waited for until it reports that it paused there, so that
/// a test can SIGKILL it at exactly that moment.
/// </summary>
internal sealed class PausedCliProcess : IDisposable
{
    private const string Marker = "holdout: paused at ";
    private readonly ChildProcess _process;

    private PausedCliProcess(ChildProcess process) => _process = process;

    /// <summary>The process id (the holder a second writer is told about).</summary>
    public int Id => _process.Id;

    /// <summary>Everything the process printed on stdout and stderr so far.</summary>
    public string Printed => _process.Printed;

    /// <summary>Starts the tool and returns once it has paused at <paramref name="point"/>; fails if it ends first or takes over 4 minutes.</summary>
    public static PausedCliProcess Start(string point, IEnumerable<string> args)
    {
        var process = CliProcess.Start(args, environment: new Dictionary<string, string> { ["HOLDOUT_PAUSE_AT"] = point });
        try
        {
            process.WaitUntil($"pause at {point}", () => process.Errors.Split('\n').Any(l => l.StartsWith(Marker + point, StringComparison.Ordinal)),
                TimeSpan.FromMinutes(4));
        }
        catch
        {
            process.Dispose();
            throw;
        }
        return new PausedCliProcess(process);
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public void Kill() => _process.Kill();

    /// <inheritdoc/>
    public void Dispose() => _process.Dispose();
}
