using System.Globalization;

namespace Holdout;

/// <summary>
/// Fault injection for the crash tests, nothing else: with the environment variable <c>HOLDOUT_PAUSE_AT</c> set, the
/// process stops at a named moment, prints <c>holdout: paused at POINT</c> on stderr and sleeps, so that a test can
/// SIGKILL it exactly there and prove that <c>holdout train --resume</c> recovers. A kill that merely lands
/// "sometime" cannot prove that the dangerous moments (a half-replaced checkpoint, the step between two phases, the
/// final evaluation) are safe; this makes each one deterministic.
/// </summary>
/// <remarks>
/// <para>The value is <c>POINT[:DETAIL][@N]</c>: pause the N-th time (default: the first) <c>POINT</c> is reached, with
/// <c>DETAIL</c> when given. The points:</para>
/// <list type="bullet">
/// <item><c>phase-boundary</c>: the run has finished (and checkpointed) a recipe phase and is about to start the next.</item>
/// <item><c>replace:FILE</c>: an atomic write of the file named FILE (e.g. <c>last.holdout</c>) has its temporary file
/// complete and is about to rename it over FILE.</item>
/// <item><c>final-evaluation</c>: the last epoch is trained and checkpointed; the best weights are about to be evaluated
/// and <c>summary.json</c> and the report written.</item>
/// </list>
/// <para>Internal and undocumented for users. When the variable is unset (always, outside tests) <see cref="Reach"/>
/// is one comparison with null.</para>
/// </remarks>
internal static class PausePoint
{
    /// <summary>The environment variable that names the point.</summary>
    public const string Variable = "HOLDOUT_PAUSE_AT";

    /// <summary>The stderr line printed when pausing, followed by the point's name.</summary>
    public const string Marker = "holdout: paused at ";

    private static readonly Target? Requested = Target.Parse(Environment.GetEnvironmentVariable(Variable));
    private static int _reached;

    /// <summary>Pauses forever when <c>HOLDOUT_PAUSE_AT</c> names this point (and this is its N-th time); otherwise returns at once.</summary>
    /// <param name="point">The point's name, e.g. <c>phase-boundary</c>.</param>
    /// <param name="detail">What the point is about, e.g. the file name for <c>replace</c>, or null.</param>
    public static void Reach(string point, string? detail = null)
    {
        if (Requested is null) return;
        if (!Requested.Matches(point, detail) || Interlocked.Increment(ref _reached) != Requested.Occurrence) return;
        Console.Error.WriteLine(Marker + Requested.Text);
        Console.Error.Flush();
        Thread.Sleep(Timeout.Infinite);
    }

    private sealed record Target(string Text, string Point, string? Detail, int Occurrence)
    {
        public static Target? Parse(string? value)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            var at = value.LastIndexOf('@');
            var occurrence = at >= 0 && int.TryParse(value[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;
            var name = at >= 0 ? value[..at] : value;
            var colon = name.IndexOf(':');
            return new Target(value, colon >= 0 ? name[..colon] : name, colon >= 0 ? name[(colon + 1)..] : null, occurrence);
        }

        public bool Matches(string point, string? detail) =>
            point == Point && (Detail is null || string.Equals(Detail, detail, StringComparison.Ordinal));
    }
}
