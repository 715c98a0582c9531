using System.Diagnostics;
using System.Text;

namespace Holdout.Tests;

/// <summary>
/// The one way tests start another program (the <c>holdout</c> tool, a sample, Python, Chromium): stdout and stderr
/// are read concurrently from the start (a child that fills one pipe while the test waits on the other cannot
/// deadlock), everything printed is kept, and every wait has a limit: a child still running when it expires is killed
/// with its whole process tree and the test fails with what it printed.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    /// <summary>The limit of a wait when a test names none: far above any test's run (a hang, not a slow machine, trips it).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly Task _reading;
    private readonly string _description;

    /// <summary>How a child ended: its exit code and everything it printed.</summary>
    public sealed record Result(int ExitCode, string Output, string Errors);

    private ChildProcess(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        _description = string.Join(' ', [info.FileName, .. info.ArgumentList.Select(a => a.Length > 200 ? a[..200] + "..." : a)]);
        _process = Process.Start(info) ?? throw new InvalidOperationException($"{_description} did not start.");
        _reading = Task.WhenAll(Pump(_process.StandardOutput, _output), Pump(_process.StandardError, _errors));
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="args"/>; the test must dispose it (which kills it if still running).</summary>
    /// <param name="program">The executable (a path, or a name found on PATH).</param>
    /// <param name="args">The arguments, each passed as one argument.</param>
    /// <param name="workingDirectory">The working directory, or null for this process's.</param>
    /// <param name="environment">Variables to add to (or change in) the child's environment.</param>
    public static ChildProcess Start(string program, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        foreach (var a in args) info.ArgumentList.Add(a);
        return new ChildProcess(info);
    }

    /// <summary>Runs <paramref name="program"/> to the end (at most <paramref name="timeout"/>, else the test fails) and returns what it printed.</summary>
    public static Result Run(string program, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        using var child = Start(program, args, workingDirectory, environment);
        return child.WaitForExit(timeout);
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the child has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code (only once it has ended).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What the child has printed on stdout so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>What the child has printed on stderr so far.</summary>
    public string Errors
    {
        get
        {
            lock (_errors) return _errors.ToString();
        }
    }

    /// <summary>Both streams so far, for a failure message.</summary>
    public string Printed => $"--- stdout ---\n{Output}\n--- stderr ---\n{Errors}";

    /// <summary>
    /// Waits until the child ends and both streams are read to their end; if it is still running after
    /// <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>), kills its process tree and fails the test
    /// with what it printed.
    /// </summary>
    public Result WaitForExit(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        if (!_process.WaitForExit(limit))
        {
            Kill();
            Assert.Fail($"{_description} was still running after {limit.TotalSeconds:0.###} s and was killed.\n{Printed}");
        }
        _process.WaitForExit(); // lets the exit code settle
        if (!_reading.Wait(TimeSpan.FromSeconds(30)))
            Assert.Fail($"{_description} ended but its output pipes stayed open for 30 s (a grandchild holds them?).\n{Printed}");
        return new Result(_process.ExitCode, Output, Errors);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails the test (killing the child) if the child ends first or <paramref name="timeout"/> passes.</summary>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="condition">Checked every few milliseconds.</param>
    /// <param name="timeout">The limit. Defaults to <see cref="DefaultTimeout"/>.</param>
    public void WaitUntil(string what, Func<bool> condition, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited)
            {
                _reading.Wait(TimeSpan.FromSeconds(5));
                Assert.Fail($"{_description} ended (exit code {_process.ExitCode}) before {what}.\n{Printed}");
            }
            if (clock.Elapsed > limit)
            {
                Kill();
                Assert.Fail($"{_description}: no {what} within {limit.TotalSeconds:0.###} s; the process was killed.\n{Printed}");
            }
            Thread.Sleep(5);
        }
    }

    /// <summary>SIGKILL to the child and everything it started: no chance to clean up.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already ended
        }
        _process.WaitForExit();
        _reading.Wait(TimeSpan.FromSeconds(30));
    }

    /// <summary>Sends a POSIX signal (e.g. <c>INT</c>, what Ctrl-C sends) to the child.</summary>
    public void Signal(string signal)
    {
        var kill = Run("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(30));
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}: {kill.Errors}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (into) into.Append(buffer, 0, read);
        }
    }
}
