using Holdout.Data;
using Holdout.Distributed;
using Holdout.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// A frozen backbone's features of one split, computed once: on first use every image of <c>images</c> (an
/// evaluation source: fixed order, no augmentation) goes through the backbone in evaluation mode; after that any
/// number of views read the same tensors — in order for evaluation, or reshuffled per epoch for training the head.
/// Computing lazily puts the cost inside the first epoch that needs it, where it shows. A view's batch order is a
/// function of (seed, epoch) whether or not the features were already computed, so a resumed run sees the same
/// batches as an uninterrupted one. When <c>images</c> is sharded (a data-parallel job), each rank featurises its slice
/// of every batch and the features are gathered, so every rank holds them all.
/// </summary>
internal sealed class FeatureCache(ImageClassifier model, IBatchSource images) : IDisposable
{
    private Tensor? _features;
    private Tensor? _labels;

    /// <summary>Samples in the split.</summary>
    public int SampleCount => images.SampleCount;

    /// <summary>Whether the features have been computed.</summary>
    public bool IsComputed => _features is not null;

    /// <summary>A batch source over the features (computed on its first batch).</summary>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Reshuffle every epoch from (seed, epoch) for training; false keeps split order.</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <param name="dropLast">With <paramref name="shuffle"/>, drop the last partial batch.</param>
    public IBatchSource View(int batchSize, bool shuffle, long seed = 0, bool dropLast = false) => new FeatureView(this, batchSize, shuffle, seed, dropLast);

    /// <summary>All features (N x D, split order) and labels, computed on first use; the cache keeps owning them.</summary>
    public (Tensor Features, Tensor Labels) Tensors(CancellationToken cancellationToken = default)
    {
        Compute(cancellationToken);
        return (_features!, _labels!);
    }

    private void Compute(CancellationToken cancellationToken)
    {
        if (_features is not null) return;
        bool wasTraining = model.training;
        model.eval();
        var features = new Tensor?[images.SampleCount];
        var labels = new long[images.SampleCount];
        try
        {
            using var noGrad = torch.no_grad();
            using var folded = model.FoldedInference();
            foreach (var batch in images.Batches(0, cancellationToken))
            {
                using var scope = NewDisposeScope();
                using var owned = batch;
                if (batch.Count == 0) continue;
                var f = model.Features(batch.Images.to(ModelOutputs.DeviceOf(model))).cpu();
                var l = batch.Labels.cpu().data<long>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                {
                    features[batch.Indices[i]] = f[i].clone().DetachFromDisposeScope();
                    labels[batch.Indices[i]] = l[i];
                }
            }
            if (!images.Shard.IsWhole)
            {
                using var scope = NewDisposeScope();
                _features = Gathered(ProcessGroup.Current, features, labels).DetachFromDisposeScope();
            }
            else
            {
                _features = torch.stack(features.Select(f => f!).ToArray()).DetachFromDisposeScope();
            }
            _labels = torch.tensor(labels).DetachFromDisposeScope();
        }
        finally
        {
            foreach (var f in features) f?.Dispose();
            model.train(wasTraining);
        }
    }

    /// <summary>The N x D features of every rank (each sample featurised by one of them); fills in <paramref name="labels"/>.</summary>
    private static Tensor Gathered(ProcessGroup group, Tensor?[] features, long[] labels)
    {
        int n = labels.Length;
        var first = features.FirstOrDefault(f => f is not null);
        Span<double> shape = [first?.NumberOfElements ?? 0, first is null ? 0 : 1];
        group.Sum(shape);
        int width = shape[1] > 0 ? (int)Math.Round(shape[0] / shape[1]) : 0;
        var all = new float[(long)n * width];
        var known = new double[n * 2]; // label, present
        for (int i = 0; i < n; i++)
        {
            if (features[i] is not { } f) continue;
            f.data<float>().CopyTo(all.AsSpan(i * width, width));
            known[2 * i] = labels[i];
            known[2 * i + 1] = 1;
        }
        group.Sum(all);
        group.Sum(known);
        for (int i = 0; i < n; i++)
        {
            if (known[2 * i + 1] != 1) throw new InvalidOperationException($"Sample {i} was featurised by {known[2 * i + 1]} ranks; every sample must be by exactly one.");
            labels[i] = (long)known[2 * i];
        }
        return torch.tensor(all, [n, width]); // Features are float32 N x D
    }

    public void Dispose()
    {
        _features?.Dispose();
        _labels?.Dispose();
    }

    private sealed class FeatureView(FeatureCache cache, int batchSize, bool shuffle, long seed, bool dropLast) : IBatchSource
    {
        public int SampleCount => cache.SampleCount;

        public int BatchCount => dropLast && shuffle ? SampleCount / batchSize : (SampleCount + batchSize - 1) / batchSize;

        public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
        {
            cache.Compute(cancellationToken);
            using var source = new TensorBatchSource(cache._features!, cache._labels!, batchSize, shuffle, seed, dropLast);
            foreach (var batch in source.Batches(epoch, cancellationToken)) yield return batch;
        }
    }
}
