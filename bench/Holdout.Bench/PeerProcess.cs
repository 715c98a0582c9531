using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Holdout.Bench;

/// <summary>A failure the bench explains in one message (a missing peer, dataset or package): printed without a stack trace.</summary>
internal sealed class BenchException(string message) : Exception(message);

/// <summary>
/// The one way the bench starts a child process (the Python peers, the ML.NET peer, <c>dotnet build</c>, its own
/// loader children): stdout and stderr are read concurrently (neither pipe can fill up and stall the child), the run is
/// timed from start to exit as a user would see it, a timeout kills the child and its descendants, and a failure is a
/// <see cref="BenchException"/> naming the command, its exit code and the end of its output.
/// </summary>
internal static class PeerProcess
{
    /// <summary>What a finished child left: its wall seconds and its captured output.</summary>
    internal sealed record Result(double Seconds, string Stdout, string Stderr);

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> to completion.</summary>
    /// <param name="what">What the child is, for messages ("the PyTorch peer").</param>
    /// <param name="file">The executable.</param>
    /// <param name="arguments">Its arguments, each passed as is (no shell).</param>
    /// <param name="timeout">How long it may run (default 30 minutes).</param>
    /// <param name="echo">Forward the child's output lines to our stderr as they come, indented (its progress).</param>
    /// <param name="echoStdout">Which stdout lines to forward when echoing (default all; the PyTorch peer's progress is its one-line JSON records).</param>
    /// <param name="environment">Variables to set for the child.</param>
    /// <param name="allowFailure">Return a non-zero exit as a result instead of throwing (for probes).</param>
    /// <exception cref="BenchException">It could not start, timed out, or exited non-zero.</exception>
    public static Result Run(string what, string file, IEnumerable<string> arguments, TimeSpan? timeout = null, bool echo = false,
        IReadOnlyDictionary<string, string>? environment = null, bool allowFailure = false, Func<string, bool>? echoStdout = null) =>
        RunWithCode(what, file, arguments, timeout, echo, environment, allowFailure, echoStdout).Result;

    /// <summary>As <see cref="Run"/>, with the exit code.</summary>
    public static (Result Result, int ExitCode) RunWithCode(string what, string file, IEnumerable<string> arguments, TimeSpan? timeout = null,
        bool echo = false, IReadOnlyDictionary<string, string>? environment = null, bool allowFailure = false, Func<string, bool>? echoStdout = null)
    {
        var args = arguments.ToList();
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var command = $"{file} {string.Join(' ', args.Select(Quote))}";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var limit = timeout ?? TimeSpan.FromMinutes(30);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (echo && (echoStdout?.Invoke(e.Data) ?? true)) Console.Error.WriteLine("    | " + e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (echo) Console.Error.WriteLine("    | " + e.Data);
        };
        var clock = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new BenchException($"{what} could not start: {command}: {e.Message}");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            throw new BenchException($"{what} did not finish within {limit.TotalMinutes:0.#} min and was stopped: {command}\n{Tail(stderr, stdout)}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        var seconds = clock.Elapsed.TotalSeconds;
        var result = new Result(seconds, stdout.ToString(), stderr.ToString());
        if (process.ExitCode != 0 && !allowFailure)
            throw new BenchException($"{what} failed (exit code {process.ExitCode}): {command}\n{Tail(stderr, stdout)}");
        return (result, process.ExitCode);
    }

    private static string Quote(string a) => a.Length > 0 && !a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? a : $"'{a}'";

    /// <summary>The last lines of the child's stderr and stdout, where its error usually is.</summary>
    private static string Tail(StringBuilder stderr, StringBuilder stdout)
    {
        static string last(StringBuilder b, int n)
        {
            string text;
            lock (b) text = b.ToString();
            var lines = text.TrimEnd().Split('\n');
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - n)));
        }
        var err = last(stderr, 30);
        var @out = last(stdout, 10);
        return (err.Length > 0 ? "--- stderr (end) ---\n" + err + "\n" : "") + (@out.Length > 0 ? "--- stdout (end) ---\n" + @out : "");
    }
}
