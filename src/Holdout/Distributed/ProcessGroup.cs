using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Holdout.Distributed;

/// <summary>
/// The processes of a data-parallel job and the collective operations they share: sums over every rank (MPI
/// allreduce), copies from rank 0 (broadcast), gathers and barriers. <see cref="Current"/> is the whole process's
/// group: one process (<see cref="Single"/>) unless <see cref="JoinFromEnvironment"/> found that <c>mpirun</c>
/// started it as one of several ranks.
/// </summary>
/// <remarks>
/// Every collective must be called by every rank in the same order; a rank that fails between two collectives must
/// end the job (<see cref="Abort"/>), or the others wait for it for ever. Calls come from one thread, the one that
/// joined.
/// </remarks>
public abstract class ProcessGroup : IDisposable
{
    /// <summary>A group of one: every collective returns its input.</summary>
    public static ProcessGroup Single { get; } = new SingleProcess();

    private static ProcessGroup s_current = Single; // after Single: static fields initialise in order

    /// <summary>The group of this process: <see cref="Single"/> unless it joined a launched job.</summary>
    public static ProcessGroup Current => s_current;

    /// <summary>This process's rank, 0-based; rank 0 writes the run folder.</summary>
    public abstract int Rank { get; }

    /// <summary>The number of processes (the world size).</summary>
    public abstract int Size { get; }

    /// <summary>True for rank 0.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>The machines of the ranks, in rank order.</summary>
    public abstract IReadOnlyList<string> Hosts { get; }

    /// <summary>This process's part of every batch.</summary>
    public Shard Shard => new(Rank, Size);

    /// <summary>Seconds this process has spent in collectives (waiting for the other ranks included).</summary>
    public double CommunicationSeconds { get; private set; }

    /// <summary>Bytes this process has summed over the ranks.</summary>
    public long SummedBytes { get; private set; }

    /// <summary>Sums <paramref name="values"/> over every rank, in place; every rank gets the same sums.</summary>
    public void Sum(Span<float> values)
    {
        var clock = Stopwatch.StartNew();
        SumCore(values);
        Count(clock, values.Length * sizeof(float));
    }

    /// <summary>Sums <paramref name="values"/> over every rank, in place; every rank gets the same sums.</summary>
    public void Sum(Span<double> values)
    {
        var clock = Stopwatch.StartNew();
        SumCore(values);
        Count(clock, values.Length * sizeof(double));
    }

    /// <summary>Copies rank 0's <paramref name="data"/> into every rank's (same length on every rank).</summary>
    public void Broadcast(Span<byte> data)
    {
        var clock = Stopwatch.StartNew();
        BroadcastCore(data);
        Count(clock, 0);
    }

    /// <summary>Every rank's <paramref name="mine"/> (same length on every rank), concatenated in rank order.</summary>
    public byte[] AllGather(ReadOnlySpan<byte> mine)
    {
        var clock = Stopwatch.StartNew();
        var all = AllGatherCore(mine);
        Count(clock, 0);
        return all;
    }

    /// <summary>Rank 0's value of <paramref name="value"/>, on every rank.</summary>
    public long Broadcast(long value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(bytes, value);
        Broadcast(bytes);
        return BitConverter.ToInt64(bytes);
    }

    /// <summary>Rank 0's bytes (any length), on every rank.</summary>
    public byte[] Broadcast(byte[]? rootData)
    {
        if (Size == 1) return rootData ?? [];
        var length = Broadcast(IsRoot ? rootData!.Length : 0L);
        var data = IsRoot ? rootData! : new byte[length];
        Broadcast(data.AsSpan());
        return data;
    }

    /// <summary>Rank 0's text, on every rank.</summary>
    public string Broadcast(string? rootText) => System.Text.Encoding.UTF8.GetString(Broadcast(IsRoot ? System.Text.Encoding.UTF8.GetBytes(rootText ?? "") : null));

    /// <summary>Waits until every rank has reached this call.</summary>
    public abstract void Barrier();

    /// <summary>Ends every process of the job at once with <paramref name="exitCode"/> (a rank that cannot go on).</summary>
    public abstract void Abort(int exitCode);

    /// <summary>Leaves the job (MPI_Finalize) and makes <see cref="Single"/> current again.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(s_current, this)) s_current = Single;
        Leave();
        GC.SuppressFinalize(this);
    }

    /// <summary>What a derived group does on <see cref="Dispose"/>.</summary>
    protected virtual void Leave() { }

    private protected abstract void SumCore(Span<float> values);

    private protected abstract void SumCore(Span<double> values);

    private protected abstract void BroadcastCore(Span<byte> data);

    private protected abstract byte[] AllGatherCore(ReadOnlySpan<byte> mine);

    private void Count(Stopwatch clock, long bytes)
    {
        CommunicationSeconds += clock.Elapsed.TotalSeconds;
        SummedBytes += bytes;
    }

    /// <summary>How <c>mpirun</c> (or another MPI launcher) started this process, read from its environment; null when no launcher did.</summary>
    public static LaunchInfo? Launch() => LaunchInfo.FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>
    /// Joins the data-parallel job this process was started in, when a launcher started it as one of several ranks:
    /// loads Open MPI's library, initialises MPI and makes the group <see cref="Current"/>. Without a launcher, or
    /// with one rank, nothing is loaded and <see cref="Single"/> is returned. Call it once, early, on the thread that
    /// will train; dispose the result at the end.
    /// </summary>
    /// <exception cref="HoldoutException">A launcher started several ranks but Open MPI's library cannot be loaded, or
    /// the launcher is not Open MPI's.</exception>
    public static ProcessGroup JoinFromEnvironment() => Join(Launch(), MpiLibrary.FileNames);

    /// <summary><see cref="JoinFromEnvironment"/> for a given launch and library file names (tests use names that do not exist).</summary>
    internal static ProcessGroup Join(LaunchInfo? launch, IReadOnlyList<string> libraryNames)
    {
        if (s_current.Size > 1) return s_current;
        if (launch is null || launch.Size <= 1) return Single;
        if (!launch.IsOpenMpi)
            throw new HoldoutException(
                $"This process was started by an MPI launcher that is not Open MPI's ({launch.Variable}={launch.Size}). Holdout binds Open MPI: install it (Debian/Ubuntu: sudo apt-get install openmpi-bin) and start the job with its mpirun.");
        var library = MpiLibrary.TryLoad(libraryNames, out var tried) ?? throw new HoldoutException(
            $"mpirun started this process as rank {launch.Rank} of {launch.Size} ({launch.Variable}), but Open MPI's library could not be loaded ({tried}). " +
            "Install Open MPI on every machine of the job: sudo apt-get install openmpi-bin (Debian/Ubuntu), sudo dnf install openmpi (Fedora/RHEL).");
        // Open MPI catches SIGSEGV, SIGBUS and SIGFPE to print a backtrace; .NET turns those signals into
        // NullReferenceException and DivideByZeroException, so Open MPI must leave them alone (unless the user said otherwise).
        if (Environment.GetEnvironmentVariable("OMPI_MCA_opal_signal") is null) NativeEnvironment.Set("OMPI_MCA_opal_signal", "6");
        library.Init();
        var group = new MpiProcessGroup(library);
        group.UseCpuShare(launch);
        s_current = group;
        return group;
    }

    private sealed class SingleProcess : ProcessGroup
    {
        public override int Rank => 0;

        public override int Size => 1;

        public override IReadOnlyList<string> Hosts { get; } = [Environment.MachineName];

        public override void Barrier() { }

        public override void Abort(int exitCode) => Environment.Exit(exitCode);

        private protected override void SumCore(Span<float> values) { }

        private protected override void SumCore(Span<double> values) { }

        private protected override void BroadcastCore(Span<byte> data) { }

        private protected override byte[] AllGatherCore(ReadOnlySpan<byte> mine) => mine.ToArray();
    }

    private static class NativeEnvironment
    {
        [DllImport("libc", EntryPoint = "setenv")]
        private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

        // .NET keeps its own copy of the environment on Unix: a native library reads the C one.
        public static void Set(string name, string value)
        {
            Environment.SetEnvironmentVariable(name, value);
            SetEnv(name, value, 1);
        }
    }
}
