using Holdout.Data;
using Holdout.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// A frozen backbone's features as a batch source: on first use (inside the first epoch, so its cost shows there)
/// every image of <c>images</c> goes through the backbone once; after that each epoch only reshuffles the cached
/// features. The batch order is a function of (seed, epoch) whether or not the cache was already filled, so a
/// resumed run sees the same batches as an uninterrupted one.
/// </summary>
internal sealed class FeatureCache(ImageClassifier model, IBatchSource images, int batchSize, bool shuffle, long seed, bool dropLast = false) : IBatchSource, IDisposable
{
    private TensorBatchSource? _cache;

    public int SampleCount => images.SampleCount;

    public int BatchCount => dropLast && shuffle ? SampleCount / batchSize : (SampleCount + batchSize - 1) / batchSize;

    public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
    {
        _cache ??= Compute(cancellationToken);
        return _cache.Batches(epoch, cancellationToken);
    }

    private TensorBatchSource Compute(CancellationToken cancellationToken)
    {
        bool wasTraining = model.training;
        model.eval();
        var features = new Tensor?[images.SampleCount];
        var labels = new long[images.SampleCount];
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in images.Batches(0, cancellationToken))
            {
                using var scope = NewDisposeScope();
                using var owned = batch;
                var f = model.Features(batch.Images.to(ModelOutputs.DeviceOf(model))).cpu();
                var l = batch.Labels.cpu().data<long>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                {
                    features[batch.Indices[i]] = f[i].clone().DetachFromDisposeScope();
                    labels[batch.Indices[i]] = l[i];
                }
            }
            using var stacked = torch.stack(features.Select(f => f!).ToArray());
            using var labelTensor = torch.tensor(labels);
            return new TensorBatchSource(stacked, labelTensor, batchSize, shuffle, seed, dropLast);
        }
        finally
        {
            foreach (var f in features) f?.Dispose();
            model.train(wasTraining);
        }
    }

    public void Dispose() => _cache?.Dispose();
}
