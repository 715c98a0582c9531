namespace Holdout.Distributed;

/// <summary>
/// The part of every batch one process of a data-parallel job takes: rank <see cref="Index"/> of
/// <see cref="Count"/>. A batch of n samples is cut into <see cref="Count"/> contiguous slices whose lengths differ by at
/// most one (rank r takes positions [n·r/N, n·(r+1)/N)), so the global batch, its order and the epoch's batch count
/// do not depend on the number of processes.
/// </summary>
/// <param name="Index">This process's rank, 0-based.</param>
/// <param name="Count">The number of processes (the world size); 1 takes every sample.</param>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole batch: one process, nothing shared.</summary>
    public static Shard Whole => new(0, 1);

    /// <summary>True when this shard is the whole batch (one process).</summary>
    public bool IsWhole => Count <= 1;

    /// <summary>Where this shard's slice of a batch of <paramref name="batchCount"/> samples starts, and how long it is.</summary>
    /// <param name="batchCount">Samples in the global batch.</param>
    public (int Start, int Length) SliceOf(int batchCount)
    {
        if (IsWhole) return (0, batchCount);
        long start = (long)batchCount * Index / Count, end = (long)batchCount * (Index + 1) / Count;
        return ((int)start, (int)(end - start));
    }

    /// <inheritdoc/>
    public override string ToString() => $"rank {Index} of {Count}";
}
