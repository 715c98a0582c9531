using System.Diagnostics;
using System.Text;

namespace Holdout.Tests.Cli;

/// <summary>
/// The tool started with <c>HOLDOUT_PAUSE_AT=POINT</c> and waited for until it reports that it paused there, so that
/// a test can SIGKILL it at exactly that moment.
/// </summary>
internal sealed class PausedCliProcess : IDisposable
{
    private const string Marker = "holdout: paused at ";
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly ManualResetEventSlim _paused = new();

    private PausedCliProcess(Process process) => _process = process;

    /// <summary>The process id (the holder a second writer is told about).</summary>
    public int Id => _process.Id;

    /// <summary>Everything the process printed on stdout and stderr so far.</summary>
    public string Printed
    {
        get
        {
            lock (_output) return _output + "\n--- stderr ---\n" + _errors;
        }
    }

    /// <summary>Starts the tool and returns once it has paused at <paramref name="point"/>; fails if it ends first or takes over 4 minutes.</summary>
    public static PausedCliProcess Start(string point, IEnumerable<string> args)
    {
        var process = CliProcess.Start(args, environment: new Dictionary<string, string> { ["HOLDOUT_PAUSE_AT"] = point });
        var paused = new PausedCliProcess(process);
        process.OutputDataReceived += (_, e) => paused.Append(paused._output, e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            paused.Append(paused._errors, e.Data);
            if (e.Data?.StartsWith(Marker + point, StringComparison.Ordinal) == true) paused._paused.Set();
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (!paused._paused.Wait(100))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var printed = paused.Printed;
                paused.Dispose();
                Assert.Fail($"holdout never paused at {point}:\n{printed}");
            }
        }
        return paused;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        _paused.Dispose();
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null) return;
        lock (_output) to.AppendLine(line);
    }
}
