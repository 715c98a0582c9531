using System.Diagnostics;

namespace Holdout.Tests.Fuzzing;

/// <summary>
/// Runs one fuzz case with a time bound and a memory bound: the work runs on its own thread while this one samples
/// the process's resident memory. A case that is still running at the time bound is reported as a hang (its thread
/// cannot be stopped, but the test fails and names the case); one whose resident memory grows past the bound is
/// reported with the peak. Bounds are generous on purpose (the tests run on a shared 2-core machine): they catch a
/// hang or a full-size bomb decode, not a slow decoder.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>Longest one case may take before it counts as a hang.</summary>
    public static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="work"/> for the case <paramref name="name"/>; returns null when it finished within the bounds, else what went wrong.</summary>
    /// <param name="name">Names the case in the message.</param>
    /// <param name="memoryBound">Most the process's resident memory may grow while the case runs.</param>
    /// <param name="work">The case; an exception it throws is a crash.</param>
    public static string? Run(string name, long memoryBound, Action work)
    {
        var baseline = Environment.WorkingSet;
        var peak = baseline;
        Exception? crash = null;
        var worker = new Thread(() =>
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                crash = e;
            }
        }) { IsBackground = true, Name = "fuzz case" };
        var clock = Stopwatch.StartNew();
        worker.Start();
        while (!worker.Join(2))
        {
            peak = Math.Max(peak, Environment.WorkingSet);
            if (clock.Elapsed > TimeBound)
            {
                return $"{name}: still running after {TimeBound.TotalSeconds:0} s (a hang)";
            }
        }
        peak = Math.Max(peak, Environment.WorkingSet);
        if (crash is not null)
        {
            return $"{name}: crashed with {crash.GetType().Name}: {crash.Message}{Environment.NewLine}{crash.StackTrace}";
        }
        var growth = peak - baseline;
        return growth > memoryBound
            ? $"{name}: resident memory grew by {growth / (1 << 20)} MB, over the bound of {memoryBound / (1 << 20)} MB"
            : null;
    }

    /// <summary>Runs every case and fails once, listing every case that crashed, hung or used too much memory; returns how many cases ran.</summary>
    public static int RunAll(IEnumerable<(string Name, Action Work)> cases, long memoryBound)
    {
        var problems = new List<string>();
        var count = 0;
        foreach (var (name, work) in cases)
        {
            count++;
            if (Run(name, memoryBound, work) is { } problem)
            {
                problems.Add(problem);
            }
        }
        Assert.True(count > 0, "no fuzz case ran");
        Assert.True(problems.Count == 0, $"{problems.Count} of {count} cases failed:{Environment.NewLine}{string.Join(Environment.NewLine, problems.Take(20))}");
        return count;
    }
}
