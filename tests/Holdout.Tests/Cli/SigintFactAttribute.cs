using System.Globalization;

namespace Holdout.Tests.Cli;

/// <summary>
/// A fact that sends SIGINT (what Ctrl-C sends) to a holdout process it starts; skipped with the reason where this test
/// process ignores SIGINT. A process started in the background by a non-interactive shell (<c>cmd &amp;</c>) or under
/// <c>nohup</c> ignores it, its children inherit that, and .NET, like every Unix program, leaves an inherited ignored
/// SIGINT ignored: the signal would never reach holdout. Run the tests in the foreground to include the check.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SigintFactAttribute : FactAttribute
{
    public SigintFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Sending SIGINT and reading which signals a process ignores are done the Linux way (kill, /proc/self/status).";
        else if (IgnoresSigint())
            Skip = "This test process ignores SIGINT (SigIgn in /proc/self/status; started in the background or under nohup), so a child it starts would too. Run 'dotnet test' in the foreground.";
    }

    private static bool IgnoresSigint()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)
            && (mask & (1UL << (2 - 1))) != 0; // SIGINT is signal 2: bit 1
    }
}
