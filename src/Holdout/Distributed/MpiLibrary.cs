using System.Runtime.InteropServices;

namespace Holdout.Distributed;

/// <summary>
/// The few calls of the standard MPI C API a data-parallel job needs, bound by function pointer to the Open MPI
/// library the operating system installed (<c>libmpi.so.40</c>, Debian's and Ubuntu's <c>openmpi-bin</c>).
/// </summary>
/// <remarks>
/// Not MPI.NET 1.4.0: its P/Invokes name MS-MPI's <c>msmpi.dll</c>, and mapped to Open MPI it crashes, because MS-MPI's
/// handles (communicators, datatypes, operations) are integers while Open MPI's are the addresses of exported globals.
/// Here <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_DOUBLE</c>, <c>MPI_BYTE</c> and <c>MPI_SUM</c> are those
/// addresses (<c>ompi_mpi_comm_world</c>, ...), read from the loaded library. Every call is made from the thread that
/// initialised MPI (<c>MPI_THREAD_FUNNELED</c>).
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    /// <summary>The file names tried, newest ABI first.</summary>
    internal static readonly string[] FileNames = ["libmpi.so.40", "libmpi.so"];

    private const int ThreadFunneled = 1;
    private static readonly void* InPlace = (void*)1; // Open MPI's MPI_IN_PLACE

    private readonly IntPtr _world, _float, _double, _byte, _sum;
    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<IntPtr, int*, int> _rank;
    private readonly delegate* unmanaged<IntPtr, int*, int> _size;
    private readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> _bcast;
    private readonly delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, IntPtr, int> _allgather;
    private readonly delegate* unmanaged<IntPtr, int> _barrier;
    private readonly delegate* unmanaged<IntPtr, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<byte*, int*, int> _processorName;

    private MpiLibrary(IntPtr handle)
    {
        Handle = handle;
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _byte = Export("ompi_mpi_byte");
        _sum = Export("ompi_mpi_op_sum");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        _rank = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_rank");
        _size = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Bcast");
        _allgather = (delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, IntPtr, int>)Export("MPI_Allgather");
        _barrier = (delegate* unmanaged<IntPtr, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<IntPtr, int, int>)Export("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _processorName = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_processor_name");
    }

    /// <summary>The loaded library's handle.</summary>
    public IntPtr Handle { get; }

    /// <summary>Loads Open MPI's library, or returns null with what was tried.</summary>
    /// <param name="names">The file names to try, in order.</param>
    /// <param name="tried">The names tried and why each failed.</param>
    public static MpiLibrary? TryLoad(IReadOnlyList<string> names, out string tried)
    {
        var failures = new List<string>();
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle))
            {
                failures.Add($"{name}: not found");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
            {
                failures.Add($"{name}: not Open MPI (no ompi_mpi_comm_world)");
                continue;
            }
            tried = "";
            return new MpiLibrary(handle);
        }
        tried = string.Join("; ", failures);
        return null;
    }

    private IntPtr Export(string name) => NativeLibrary.GetExport(Handle, name);

    /// <summary>Initialises MPI once per process (with funneled threads); a second call does nothing.</summary>
    public void Init()
    {
        int done;
        Check(_initialized(&done), "MPI_Initialized");
        if (done != 0) return;
        int provided;
        Check(_initThread(null, null, ThreadFunneled, &provided), "MPI_Init_thread");
    }

    /// <summary>This process's rank in MPI_COMM_WORLD.</summary>
    public int Rank()
    {
        int rank;
        Check(_rank(_world, &rank), "MPI_Comm_rank");
        return rank;
    }

    /// <summary>The number of processes in MPI_COMM_WORLD.</summary>
    public int Size()
    {
        int size;
        Check(_size(_world, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary>This machine's name as MPI knows it.</summary>
    public string ProcessorName()
    {
        var buffer = stackalloc byte[256]; // MPI_MAX_PROCESSOR_NAME is 256 in Open MPI
        int length;
        Check(_processorName(buffer, &length), "MPI_Get_processor_name");
        return System.Text.Encoding.UTF8.GetString(buffer, length);
    }

    /// <summary>Sums <paramref name="count"/> floats at <paramref name="data"/> over every rank, in place.</summary>
    public void SumFloats(float* data, int count) => Check(_allreduce(InPlace, data, count, _float, _sum, _world), "MPI_Allreduce");

    /// <summary>Sums <paramref name="count"/> doubles at <paramref name="data"/> over every rank, in place.</summary>
    public void SumDoubles(double* data, int count) => Check(_allreduce(InPlace, data, count, _double, _sum, _world), "MPI_Allreduce");

    /// <summary>Copies <paramref name="count"/> bytes at <paramref name="data"/> from rank <paramref name="root"/> to every rank.</summary>
    public void Broadcast(byte* data, int count, int root) => Check(_bcast(data, count, _byte, root, _world), "MPI_Bcast");

    /// <summary>Gathers <paramref name="count"/> bytes of every rank into <paramref name="all"/> (rank order).</summary>
    public void AllGather(byte* mine, int count, byte* all) => Check(_allgather(mine, count, _byte, all, count, _byte, _world), "MPI_Allgather");

    /// <summary>Waits until every rank has reached this call.</summary>
    public void Barrier() => Check(_barrier(_world), "MPI_Barrier");

    /// <summary>Ends every process of the job with <paramref name="code"/>.</summary>
    public void Abort(int code) => _abort(_world, code);

    /// <summary>Ends MPI in this process, unless it already ended.</summary>
    public void End()
    {
        int done;
        if (_finalized(&done) == 0 && done == 0) _finalize();
    }

    private static void Check(int code, string call)
    {
        // MPI's default error handler (MPI_ERRORS_ARE_FATAL) ends the job before a failing call returns; this is for
        // a library set up to return codes.
        if (code != 0) throw new HoldoutException($"{call} failed with MPI error code {code}.");
    }
}
