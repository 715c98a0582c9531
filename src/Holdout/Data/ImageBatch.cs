using TorchSharp;

namespace Holdout.Data;

/// <summary>
/// One batch as the model takes it: normalised images (float32, N x 3 x H x W, in the model's channel order), class
/// labels (int64, N) and the dataset indices of the samples, in batch order. The consumer disposes it (or lets the
/// dispose scope it was moved into do so).
/// </summary>
/// <param name="Images">Model input, N x 3 x H x W.</param>
/// <param name="Labels">Class indices, N.</param>
/// <param name="Indices">Index of each sample in its split's sample list.</param>
public sealed record ImageBatch(torch.Tensor Images, torch.Tensor Labels, IReadOnlyList<int> Indices) : IDisposable
{
    /// <summary>Number of samples in the batch.</summary>
    public int Count => Indices.Count;

    /// <summary>
    /// The samples of the whole batch this one is a slice of, in a data-parallel job (<see cref="IBatchSource.Shard"/>);
    /// <see cref="Count"/> when the batch is whole. Defaults to <see cref="Count"/>.
    /// </summary>
    public int GlobalCount
    {
        get => _globalCount ?? Count;
        init => _globalCount = value;
    }

    private readonly int? _globalCount;

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
