using Holdout.Distributed;

namespace Holdout.Tests.Distributed;

/// <summary>Finding out whether mpirun started this process, and joining (or not) its job.</summary>
public sealed class LaunchTests
{
    [Fact]
    public void Should_read_open_mpis_variables()
    {
        var variables = new Dictionary<string, string>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "4", ["OMPI_COMM_WORLD_RANK"] = "3", ["OMPI_COMM_WORLD_LOCAL_SIZE"] = "2",
        };
        var launch = LaunchInfo.FromEnvironment(variables.GetValueOrDefault);
        Assert.Equal(new LaunchInfo(3, 4, 2, "OMPI_COMM_WORLD_SIZE", IsOpenMpi: true), launch);
    }

    [Fact]
    public void Should_tell_another_launcher_from_open_mpi_and_no_launcher_from_both()
    {
        var pmi = new Dictionary<string, string> { ["PMI_SIZE"] = "2", ["PMI_RANK"] = "1" };
        Assert.Equal(new LaunchInfo(1, 2, 1, "PMI_SIZE", IsOpenMpi: false), LaunchInfo.FromEnvironment(pmi.GetValueOrDefault));
        Assert.Null(LaunchInfo.FromEnvironment(_ => null));
    }

    [Fact]
    public void Should_stay_one_process_without_a_launcher_or_with_one_rank_and_load_no_mpi()
    {
        // Given no launcher, and a launcher of one rank
        // When the process joins
        var alone = ProcessGroup.Join(null, ["libmpi-that-does-not-exist.so"]);
        var oneRank = ProcessGroup.Join(new LaunchInfo(0, 1, 1, "OMPI_COMM_WORLD_SIZE", true), ["libmpi-that-does-not-exist.so"]);

        // Then it is the single-process group, with every collective its input, and no MPI library was even looked for
        Assert.Same(ProcessGroup.Single, alone);
        Assert.Same(ProcessGroup.Single, oneRank);
        Assert.Same(ProcessGroup.Single, ProcessGroup.Current);
        Span<float> values = [1, 2];
        alone.Sum(values);
        Assert.Equal([1f, 2f], values.ToArray());
        Assert.Equal(5L, alone.Broadcast(5L));
        Assert.Equal(new Shard(0, 1), alone.Shard);
        if (OperatingSystem.IsLinux())
            Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_package_to_install_when_mpirun_started_it_but_open_mpi_cannot_be_loaded()
    {
        // Given a process started as rank 1 of 2 whose MPI library is missing
        var launch = new LaunchInfo(1, 2, 2, "OMPI_COMM_WORLD_SIZE", IsOpenMpi: true);

        // When it joins
        var error = Assert.Throws<HoldoutException>(() => ProcessGroup.Join(launch, ["libmpi-that-does-not-exist.so.40"]));

        // Then the message says what happened and which package to install
        Assert.Contains("rank 1 of 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("libmpi-that-does-not-exist.so.40: not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install openmpi-bin", error.Message, StringComparison.Ordinal);
        Assert.Same(ProcessGroup.Single, ProcessGroup.Current);
    }

    [Fact]
    public void Should_refuse_a_launcher_that_is_not_open_mpis()
    {
        var error = Assert.Throws<HoldoutException>(() => ProcessGroup.Join(new LaunchInfo(0, 2, 1, "PMI_SIZE", IsOpenMpi: false), ["libmpi.so.40"]));
        Assert.Contains("not Open MPI's (PMI_SIZE=2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("openmpi-bin", error.Message, StringComparison.Ordinal);
    }
}
