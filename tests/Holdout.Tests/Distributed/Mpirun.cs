namespace Holdout.Tests.Distributed;

/// <summary>Open MPI's <c>mpirun</c> for the data-parallel tests: where it is, and the <c>holdout</c> tool started under it.</summary>
internal static class Mpirun
{
    /// <summary>The mpirun on PATH, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
        .Where(d => d.Length > 0).Select(d => System.IO.Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>
    /// mpirun's arguments to run the tool as <paramref name="ranks"/> ranks on this machine, each with
    /// <paramref name="threads"/> engine threads: as root it must be allowed, and a machine with fewer cores than ranks
    /// is oversubscribed.
    /// </summary>
    public static List<string> Arguments(int ranks, int threads, params string[] holdoutArgs)
    {
        List<string> args = ["--oversubscribe", "-n", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "-x", $"OMP_NUM_THREADS={threads}", "-x", "TMPDIR"];
        if (Environment.UserName == "root") args.Insert(0, "--allow-run-as-root");
        return [.. args, "dotnet", System.IO.Path.Combine(AppContext.BaseDirectory, "Holdout.Cli.dll"), .. holdoutArgs];
    }

    /// <summary>Starts the tool under mpirun; <paramref name="environment"/> is mpirun's (TMPDIR is passed on to the ranks).</summary>
    public static ChildProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ChildProcess.Start(Path ?? throw new InvalidOperationException("mpirun is not installed."), arguments, environment: environment);
}

/// <summary>A test that needs Open MPI's mpirun (CI installs openmpi-bin); skipped with the reason where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: the data-parallel tests run Open MPI's mpirun";
        else if (Mpirun.Path is null) Skip = "Open MPI's mpirun is not installed (sudo apt-get install openmpi-bin)";
    }
}

/// <summary>A theory that needs Open MPI's mpirun; skipped with the reason where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: the data-parallel tests run Open MPI's mpirun";
        else if (Mpirun.Path is null) Skip = "Open MPI's mpirun is not installed (sudo apt-get install openmpi-bin)";
    }
}
