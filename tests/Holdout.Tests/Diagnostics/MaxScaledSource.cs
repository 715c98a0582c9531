using Holdout.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>The classic "normalisation": every image divided by its own maximum, whatever the backbone expects.</summary>
internal sealed class MaxScaledSource(IBatchSource inner) : IBatchSource
{
    public int SampleCount => inner.SampleCount;

    public int BatchCount => inner.BatchCount;

    public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
    {
        foreach (var batch in inner.Batches(epoch, cancellationToken))
        {
            using var owned = batch;
            using var max = batch.Images.amax([1, 2, 3], keepdim: true);
            yield return new ImageBatch((batch.Images / max).DetachFromDisposeScope(), batch.Labels.clone().DetachFromDisposeScope(), batch.Indices);
        }
    }
}
