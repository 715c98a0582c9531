using Holdout.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>A source whose images are scaled by a constant (e.g. validation left in 0..255 while training is normalised).</summary>
internal sealed class ScaledSource(IBatchSource inner, float factor) : IBatchSource
{
    public int SampleCount => inner.SampleCount;

    public int BatchCount => inner.BatchCount;

    public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
    {
        foreach (var batch in inner.Batches(epoch, cancellationToken))
        {
            using var owned = batch;
            yield return new ImageBatch((batch.Images * factor).DetachFromDisposeScope(), batch.Labels.clone().DetachFromDisposeScope(), batch.Indices);
        }
    }
}
