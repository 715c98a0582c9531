using Holdout.Native;
using TorchSharp;

namespace Holdout.Distributed;

/// <summary>The ranks of an Open MPI job (<see cref="MpiLibrary"/>).</summary>
internal sealed unsafe class MpiProcessGroup : ProcessGroup
{
    private const int HostBytes = 256;
    private const int MaxChunk = 1 << 28; // elements per call: MPI counts are ints
    private readonly MpiLibrary _mpi;
    private bool _left;

    public MpiProcessGroup(MpiLibrary mpi)
    {
        _mpi = mpi;
        Rank = mpi.Rank();
        Size = mpi.Size();
        var name = new byte[HostBytes];
        var bytes = System.Text.Encoding.UTF8.GetBytes(mpi.ProcessorName());
        bytes.AsSpan(0, Math.Min(bytes.Length, HostBytes)).CopyTo(name);
        var all = AllGather(name);
        Hosts = [.. Enumerable.Range(0, Size).Select(r => System.Text.Encoding.UTF8.GetString(all, r * HostBytes, HostBytes).TrimEnd('\0'))];
    }

    public override int Rank { get; }

    public override int Size { get; }

    public override IReadOnlyList<string> Hosts { get; }

    /// <summary>
    /// Gives the engine this rank's share of the machine's processors, unless <c>OMP_NUM_THREADS</c> says how many:
    /// all the processors it may run on when mpirun bound it to some (its default for up to two ranks), else the
    /// machine's processors divided by the ranks on it.
    /// </summary>
    public void UseCpuShare(LaunchInfo launch)
    {
        if (Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is not null) return;
        NativeRuntime.EnsureInitialized();
        var allowed = Environment.ProcessorCount;
        var online = OnlineProcessors() ?? allowed;
        var threads = allowed < online ? allowed : Math.Max(1, online / Math.Max(1, launch.LocalSize));
        torch.set_num_threads(threads);
    }

    private static int? OnlineProcessors()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)) is > 0 and var n ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public override void Barrier() => _mpi.Barrier();

    public override void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        _mpi.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    private protected override void SumCore(Span<float> values)
    {
        fixed (float* p = values)
        {
            for (int start = 0; start < values.Length; start += MaxChunk) _mpi.SumFloats(p + start, Math.Min(MaxChunk, values.Length - start));
        }
    }

    private protected override void SumCore(Span<double> values)
    {
        fixed (double* p = values)
        {
            for (int start = 0; start < values.Length; start += MaxChunk) _mpi.SumDoubles(p + start, Math.Min(MaxChunk, values.Length - start));
        }
    }

    private protected override void BroadcastCore(Span<byte> data)
    {
        fixed (byte* p = data)
        {
            for (int start = 0; start < data.Length; start += MaxChunk) _mpi.Broadcast(p + start, Math.Min(MaxChunk, data.Length - start), 0);
        }
    }

    private protected override byte[] AllGatherCore(ReadOnlySpan<byte> mine)
    {
        var all = new byte[mine.Length * Size];
        fixed (byte* m = mine)
        fixed (byte* a = all)
        {
            _mpi.AllGather(m, mine.Length, a);
        }
        return all;
    }

    protected override void Leave()
    {
        if (_left) return;
        _left = true;
        _mpi.End();
    }
}
