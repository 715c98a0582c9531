using Holdout.Native;
using Holdout.Tests.Cli;
using System.Runtime.InteropServices;

namespace Holdout.Tests.Native;

[Collection(NativeCollection.Name)]
public sealed class HeapReuseTests
{
    [LinuxFact("it compares glibc's malloc settings and reads the kernel's page-fault counts (getrusage).")]
    public void Should_cut_the_page_faults_of_a_training_process_compared_with_glibcs_defaults()
    {
        // Given the tool's learning-rate test: training steps of the bundled ResNet-18 at 224 px, batch 32, whose
        // early activations (32x64x112x112 values, 51-103 MiB) are above glibc's largest mmap threshold (32 MiB)
        using var folder = new TempFolder();
        string[] args = ["lr-find", SampleBeans.Folder, "--steps", "6", "--batch-size", "32", "--out", Path.Combine(folder.Path, "lr.png")];

        // When it runs once with glibc's defaults and once as shipped (each process's page faults, counted by the kernel)
        var withDefaults = ChildFaults(args, new Dictionary<string, string> { ["HOLDOUT_MALLOC"] = "system" });
        var withReuse = ChildFaults(args, null);

        // Then the shipped process faults in far fewer fresh pages: the defaults map each large activation afresh
        // every step and the kernel zero-fills every page of it on first touch. Both counts include the start-up
        // (loading .NET and libtorch, growing the heap to its peak once), so the ratio is not 0: measured 0.50 (318930
        // against 633030, Debug build in CI on 2 cores) and 0.96 when both processes ran with glibc's defaults.
        Assert.True(withReuse < withDefaults * 3 / 4, $"minor page faults: {withReuse} with heap reuse, {withDefaults} with glibc's defaults");
    }

    [LinuxTheory("heap reuse is a glibc malloc setting; elsewhere the tool has no such row to check.")]
    [InlineData(null, null, "heap reuse")]
    [InlineData("HOLDOUT_MALLOC", "system", "system allocator defaults")]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.mmap_max=65536", "system allocator defaults")]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "131072", "system allocator defaults")]
    public void Should_say_in_env_whether_it_is_on_and_leave_a_users_own_allocator_settings_alone(string? variable, string? value, string expected)
    {
        // Given the tool started with or without a variable that asks for the system allocator's behaviour
        var environment = variable is null ? null : new Dictionary<string, string> { [variable] = value! };

        // When it describes its environment
        var result = CliProcess.Run(["env"], timeout: null, environment: environment);

        // Then the tensor-memory row says which allocator behaviour is in effect
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        var row = result.Output.Split('\n').Single(l => l.Contains("tensor memory", StringComparison.Ordinal));
        Assert.Contains(expected, row, StringComparison.Ordinal);
    }

    /// <summary>The minor page faults of one run of the tool (the kernel's count for waited-for children).</summary>
    private static long ChildFaults(string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var before = ChildrenMinorFaults();
        var result = CliProcess.Run(args, timeout: null, environment: environment);
        Assert.True(result.ExitCode == 0, $"lr-find failed: {result.Output}{result.Errors}");
        return ChildrenMinorFaults() - before;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, [Out] long[] usage);

    /// <summary><c>getrusage(RUSAGE_CHILDREN).ru_minflt</c>: the minor faults of every child this process has waited for.</summary>
    private static long ChildrenMinorFaults()
    {
        var usage = new long[18]; // struct rusage: two timevals (4 longs), then maxrss, ixrss, idrss, isrss, minflt, ...
        Assert.Equal(0, getrusage(-1, usage));
        return usage[8];
    }
}
