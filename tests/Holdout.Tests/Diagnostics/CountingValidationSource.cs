using Holdout.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>
/// A validation source written the way hand-rolled Keras generators often are: it keeps its own batch counter
/// across calls and always yields full batches, so one pass repeats some samples, skips others, and the next pass
/// starts where the last one stopped.
/// </summary>
internal sealed class CountingValidationSource(Tensor images, Tensor labels, int batchSize) : IBatchSource
{
    private int _counter;

    public int SampleCount => (int)images.shape[0];

    public int BatchCount => (SampleCount + batchSize - 1) / batchSize;

    public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
    {
        for (var b = 0; b < BatchCount; b++)
        {
            var start = _counter++ * batchSize % SampleCount;
            var indices = Enumerable.Range(start, batchSize).Select(i => i % SampleCount).ToArray();
            using var index = tensor(indices.Select(i => (long)i).ToArray());
            yield return new ImageBatch(images.index_select(0, index).DetachFromDisposeScope(), labels.index_select(0, index).DetachFromDisposeScope(), indices);
        }
    }
}
