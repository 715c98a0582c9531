using Holdout.Imaging;

namespace Holdout.Data;

/// <summary>Options for <see cref="BatchLoader"/>.</summary>
/// <param name="BatchSize">Samples per batch. Defaults to 32.</param>
/// <param name="Workers">Threads that decode and augment in parallel. Defaults to 0 = one per processor core.</param>
/// <param name="PrefetchBatches">Batches prepared ahead of the consumer (the bounded queue), at least 1. Defaults to 2.</param>
/// <param name="DropLast">Training only: drop the last batch when it is smaller than <paramref name="BatchSize"/>. Defaults to false (kept). Evaluation always keeps it.</param>
/// <param name="Augmentation">Training only: the random changes. Defaults to null = <see cref="AugmentationOptions.None"/>. Evaluation never augments.</param>
/// <param name="Seed">Seed for the training order and the augmentation. Defaults to 0.</param>
/// <param name="MaxPixels">The largest width x height decoded; a larger image fails the batch with a
/// <see cref="HoldoutException"/> naming it. Defaults to null = <see cref="ImageLimits.MaxPixels"/>.</param>
/// <param name="Shard">The slice of every batch this process loads in a data-parallel job (see <see cref="Distributed.Shard"/>):
/// the batches, their order and count stay those of the whole job; each holds this rank's part. Defaults to null = the
/// whole batch.</param>
public sealed record BatchLoaderOptions(
    int BatchSize = 32,
    int Workers = 0,
    int PrefetchBatches = 2,
    bool DropLast = false,
    AugmentationOptions? Augmentation = null,
    long Seed = 0,
    long? MaxPixels = null,
    Distributed.Shard? Shard = null)
{
    /// <summary>The worker count with the default filled in.</summary>
    public int EffectiveWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;
}
