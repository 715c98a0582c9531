using Holdout.Data;
using Holdout.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>Computes a frozen backbone's features for every sample once, for training the head on them.</summary>
internal static class FeatureCache
{
    public static TensorBatchSource Compute(ImageClassifier model, IBatchSource source, int batchSize, bool shuffle, long seed, CancellationToken cancellationToken)
    {
        bool wasTraining = model.training;
        model.eval();
        var features = new Tensor?[source.SampleCount];
        var labels = new long[source.SampleCount];
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in source.Batches(0, cancellationToken))
            {
                using var scope = NewDisposeScope();
                using var owned = batch;
                var f = model.Features(batch.Images.to(Evaluator.ModelDevice(model))).cpu();
                var l = batch.Labels.cpu().data<long>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                {
                    features[batch.Indices[i]] = f[i].clone().DetachFromDisposeScope();
                    labels[batch.Indices[i]] = l[i];
                }
            }
            using var stacked = torch.stack(features.Select(f => f!).ToArray());
            using var labelTensor = torch.tensor(labels);
            return new TensorBatchSource(stacked, labelTensor, batchSize, shuffle, seed);
        }
        finally
        {
            foreach (var f in features) f?.Dispose();
            model.train(wasTraining);
        }
    }
}
