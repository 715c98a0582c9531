namespace Holdout.Data;

/// <summary>
/// A source of batches for one split: the library's answer to <c>keras.utils.Sequence</c>. Training sources yield
/// every sample exactly once per epoch in a fresh seeded order; evaluation sources yield every sample exactly once
/// in a fixed order, the last partial batch included, whatever the epoch, the number of calls or the thread.
/// </summary>
public interface IBatchSource
{
    /// <summary>Number of samples in the split.</summary>
    int SampleCount { get; }

    /// <summary>Number of batches one epoch yields.</summary>
    int BatchCount { get; }

    /// <summary>The batches of epoch <paramref name="epoch"/> (0-based), in order.</summary>
    /// <param name="epoch">The epoch; a training source derives its order and augmentation from (seed, epoch, sample).</param>
    /// <param name="cancellationToken">Stops producing batches.</param>
    IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default);

    /// <summary>
    /// The part of every batch this source yields in a data-parallel job: <see cref="Distributed.Shard.Whole"/> (the
    /// default) yields whole batches; a shard of N yields this rank's slice of each of the job's batches (possibly empty),
    /// with <see cref="BatchCount"/> and <see cref="SampleCount"/> those of the whole job. The trainer averages gradients
    /// and the evaluator gathers predictions over the ranks for a sharded source.
    /// </summary>
    Distributed.Shard Shard => Distributed.Shard.Whole;
}
