using Holdout.Tests.Cli;

namespace Holdout.Tests.Native;

/// <summary>
/// An application that embeds the library owns its process: loading and using Holdout must leave glibc's allocator
/// settings and the engine's thread count as the application set them, until it opts in through
/// <c>HoldoutRuntime.Initialize</c>. Run in a fresh process (tests/Holdout.HostProbe), since this test process has
/// already loaded everything.
/// </summary>
public sealed class HostProcessTests
{
    [LinuxFact("glibc's allocator (mallopt, mallinfo2); elsewhere Holdout changes no allocator setting at all")]
    public void Should_leave_the_allocator_and_thread_count_alone_until_the_application_opts_in()
    {
        // Given an application that loads the library, uses it (a model built, a linear probe fitted on one thread),
        // then opts in to the allocator tuning, reporting after each step whether a fresh 64 MiB block is mapped
        // (glibc's default) or taken from the heap (the tuning)
        var result = CliProcess.RunProgram("Holdout.HostProbe.dll");
        Assert.True(result.ExitCode == 0, $"the probe application failed:\n{result.Output}\n{result.Errors}");
        var steps = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split(' '))
            .ToDictionary(p => p[0], p => p.Skip(1).Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]));
        var text = result.Output;

        // Then glibc keeps its defaults while the library is loaded and used
        Assert.True(steps["start"]["mmap"] == "true", "glibc does not map large blocks even before Holdout is used; the check cannot see a change:\n" + text);
        Assert.True(steps["loaded"]["mmap"] == "true", "loading the library changed glibc's malloc settings:\n" + text);
        Assert.Equal("false", steps["loaded"]["tuned"]);
        Assert.True(steps["used"]["mmap"] == "true", "using the library changed glibc's malloc settings:\n" + text);

        // And the engine loaded by itself on the first call that needed it (building a model), with no call to
        // NativeRuntime first
        Assert.True(steps["engine"]["loaded"] == "true", "the engine was not loaded on first use:\n" + text);

        // And the engine's thread count is the application's after Holdout's one-thread work
        Assert.Equal("3", steps["used"]["threads_before"]);
        Assert.True(steps["used"]["threads_after"] == "3", "the linear probe left the engine's thread count changed:\n" + text);

        // And opting in turns the tuning on
        Assert.Equal("true", steps["opted-in"]["tuned"]);
        Assert.True(steps["opted-in"]["mmap"] == "false", "opting in did not change glibc's malloc settings:\n" + text);
    }
}
