namespace Holdout.Distributed;

/// <summary>How an MPI launcher started this process, from the variables it sets.</summary>
/// <param name="Rank">This process's rank.</param>
/// <param name="Size">The number of ranks.</param>
/// <param name="LocalSize">The ranks on this machine (1 when the launcher does not say).</param>
/// <param name="Variable">The variable the size was read from, e.g. <c>OMPI_COMM_WORLD_SIZE</c>.</param>
/// <param name="IsOpenMpi">True for Open MPI's mpirun (the launcher Holdout binds).</param>
public sealed record LaunchInfo(int Rank, int Size, int LocalSize, string Variable, bool IsOpenMpi)
{
    /// <summary>Reads the launcher's variables (Open MPI's, then PMI's of MPICH and Intel MPI); null when none is set.</summary>
    /// <param name="get">Reads one environment variable.</param>
    public static LaunchInfo? FromEnvironment(Func<string, string?> get)
    {
        ArgumentNullException.ThrowIfNull(get);
        if (Int(get("OMPI_COMM_WORLD_SIZE")) is { } size)
            return new LaunchInfo(Int(get("OMPI_COMM_WORLD_RANK")) ?? 0, size, Int(get("OMPI_COMM_WORLD_LOCAL_SIZE")) ?? 1, "OMPI_COMM_WORLD_SIZE", true);
        if (Int(get("PMI_SIZE")) is { } pmiSize)
            return new LaunchInfo(Int(get("PMI_RANK")) ?? 0, pmiSize, Int(get("MPI_LOCALNRANKS")) ?? 1, "PMI_SIZE", false);
        return null;
    }

    private static int? Int(string? text) => int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
}
