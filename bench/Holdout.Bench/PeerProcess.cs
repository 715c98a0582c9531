using System.Diagnostics;

namespace Holdout.Bench;

/// <summary>Runs a command to completion and times it from start to exit, as a user would see it.</summary>
internal static class PeerProcess
{
    /// <summary>Runs <paramref name="file"/> with the arguments; returns the wall seconds and the captured stdout.</summary>
    /// <exception cref="InvalidOperationException">The process failed.</exception>
    public static (double Seconds, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}{stdout}");
        return (seconds, stdout);
    }
}
