using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Data;

/// <summary>
/// Batches from tensors already in memory (e.g. cached backbone features, or a user's own data): training order is a
/// fresh seeded permutation every epoch (each sample exactly once, no replacement); evaluation order is fixed.
/// </summary>
public sealed class TensorBatchSource : IBatchSource, IDisposable
{
    private readonly Tensor _inputs;
    private readonly Tensor _labels;
    private readonly int _batchSize;
    private readonly bool _shuffle;
    private readonly bool _dropLast;
    private readonly long _seed;

    /// <summary>Creates the source; it keeps its own references to the tensors and disposes them with itself.</summary>
    /// <param name="inputs">N x ... inputs.</param>
    /// <param name="labels">N class indices (int64).</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Training order (a fresh permutation per epoch) or a fixed evaluation order.</param>
    /// <param name="seed">Seeds the permutations: epoch e's order depends only on (seed, e).</param>
    /// <param name="dropLast">Drop the last partial batch (training only). Defaults to false.</param>
    public TensorBatchSource(Tensor inputs, Tensor labels, int batchSize, bool shuffle, long seed = 0, bool dropLast = false)
    {
        NativeRuntime.EnsureInitialized();
        if (inputs.shape[0] != labels.shape[0]) throw new ArgumentException($"inputs have {inputs.shape[0]} samples but labels {labels.shape[0]}");
        if (batchSize < 1) throw new HoldoutException($"The batch size must be at least 1, got {batchSize}.");
        _inputs = inputs.alias().DetachFromDisposeScope();
        _labels = labels.alias().DetachFromDisposeScope();
        _batchSize = batchSize;
        _shuffle = shuffle;
        _dropLast = dropLast && shuffle;
        _seed = seed;
    }

    /// <inheritdoc/>
    public int SampleCount => (int)_inputs.shape[0];

    /// <inheritdoc/>
    public int BatchCount => _dropLast ? SampleCount / _batchSize : (SampleCount + _batchSize - 1) / _batchSize;

    /// <inheritdoc/>
    public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
    {
        var order = Enumerable.Range(0, SampleCount).ToArray();
        if (_shuffle) new Random(Seeds.Derive32(_seed, SeedPurpose.TensorShuffle, epoch)).Shuffle(order);
        for (int b = 0; b < BatchCount; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var indices = order.AsSpan(b * _batchSize, Math.Min(_batchSize, SampleCount - b * _batchSize)).ToArray();
            Tensor images, labels;
            using (NewDisposeScope())
            {
                var index = torch.tensor(indices.Select(i => (long)i).ToArray()).to(_inputs.device);
                images = _inputs.index_select(0, index).DetachFromDisposeScope();
                labels = _labels.index_select(0, index.to(_labels.device)).DetachFromDisposeScope();
            }
            yield return new ImageBatch(images, labels, indices);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _inputs.Dispose();
        _labels.Dispose();
    }
}
