using System.Globalization;
using System.Runtime.InteropServices;
using Holdout.Native;
using Holdout.Training;
using TorchSharp;

// Prints one "step key=value ..." line per stage. "mmap" says whether a fresh 64 MiB allocation was served by its
// own mapping (glibc's default for blocks above the mmap threshold) or from the heap (the opt-in tuning).
// The baseline is taken before any method that names a Holdout type is compiled, so not even loading the assembly
// (and running anything it might run on load) has happened yet.
Console.WriteLine(Line("start", ("mmap", Mapped())));
return UseHoldout();

[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
static int UseHoldout()
{
    // The library is loaded (a Holdout type is used) but nothing is asked of it yet.
    var before = HoldoutRuntime.Current;
    Console.WriteLine(Line("loaded", ("mmap", Mapped()), ("tuned", before.TuneAllocator)));

    // The engine is loaded on first use: the first Holdout call that needs it (here, building a model) loads it, with no
    // call to NativeRuntime first. Then the probe fits on one thread and must give the caller's count back.
    using (var model = Holdout.Models.ModelFactory.Create(new Holdout.Models.ModelOptions(Holdout.Models.Architecture.SimpleCnn, ["a", "b"], 32, Holdout.Models.ModelOptions.NoWeights)))
    {
        Console.WriteLine(Line("engine", ("loaded", NativeRuntime.Status.NativeDirectory is not null), ("parameters", model.parameters().Count())));
    }
    torch.set_num_threads(3); // not the machine's default and not the probe's 1: a change that is not undone shows
    var threadsBefore = torch.get_num_threads();
    torch.random.manual_seed(1);
    using (var x = torch.randn(64, 8, dtype: torch.float32))
    using (var y = torch.randint(0, 3, [64], dtype: torch.int64))
    using (var head = torch.nn.Linear(8, 3))
    {
        new LinearProbe(maxIterations: 20).Fit(head, x, y, x, y);
    }
    Console.WriteLine(Line("used", ("mmap", Mapped()), ("threads_before", threadsBefore), ("threads_after", torch.get_num_threads())));

    // The caller opts in.
    var after = HoldoutRuntime.Initialize(new HoldoutRuntimeOptions { TuneAllocator = true });
    Console.WriteLine(Line("opted-in", ("mmap", Mapped()), ("tuned", after.TuneAllocator)));
    return 0;
}

static string Line(string step, params (string Key, object Value)[] values) =>
    step + " " + string.Join(' ', values.Select(v => $"{v.Key}={Convert.ToString(v.Value, CultureInfo.InvariantCulture)!.ToLowerInvariant()}"));

static unsafe bool Mapped()
{
    var mappedBefore = MallInfo().hblks;
    var block = NativeMemory.Alloc(64 << 20);
    var mappedAfter = MallInfo().hblks;
    NativeMemory.Free(block);
    return mappedAfter > mappedBefore;
}

[DllImport("libc", EntryPoint = "mallinfo2")]
static extern MallInfo2 MallInfo();

/// <summary>glibc's <c>struct mallinfo2</c> (glibc 2.33 and later).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MallInfo2
{
    public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
}
