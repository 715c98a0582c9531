using System.Diagnostics;
using Holdout.Data;
using Holdout.Distributed;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>Runs a model over every sample of a split in evaluation mode and collects its predictions.</summary>
public static class Evaluator
{
    /// <summary>
    /// Predicts every sample of <paramref name="source"/> with <paramref name="model"/> in evaluation mode (BatchNorm
    /// moving statistics, no dropout) under no-grad, one dispose scope per batch. The model's train/eval mode is put
    /// back afterwards.
    /// </summary>
    /// <param name="model">A classifier: N x ... input to N x C logits (or N x 1 for a binary single-logit model).</param>
    /// <param name="source">The split; evaluation sources yield every sample once in a fixed order.</param>
    /// <param name="loss">The loss reported as <see cref="Predictions.Loss"/> (the training loss, so <c>val_loss</c>
    /// and <c>loss</c> compare). Defaults to null: plain cross-entropy.</param>
    /// <param name="epoch">Passed to the source (evaluation sources ignore it). Defaults to 0.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    /// <exception cref="InvalidOperationException">The source skipped or repeated a sample.</exception>
    /// <remarks>A sharded source (<see cref="IBatchSource.Shard"/>) yields this rank's slice of every batch; the
    /// predictions, losses and sums of every rank are then gathered (<see cref="ProcessGroup.Current"/>), so each rank
    /// returns the predictions of the whole split.</remarks>
    public static Predictions Predict(nn.Module<Tensor, Tensor> model, IBatchSource source, ClassificationLoss? loss = null, int epoch = 0,
        CancellationToken cancellationToken = default)
    {
        NativeRuntime.EnsureInitialized();
        using var plain = loss is null ? new ClassificationLoss() : null;
        var lossFunction = loss ?? plain!;
        var clock = Stopwatch.StartNew();
        var probabilities = new float[source.SampleCount][];
        var labels = new int[source.SampleCount];
        var seen = new bool[source.SampleCount];
        var sampleLosses = lossFunction.HasPerSampleValues ? new double[source.SampleCount] : null;
        double lossSum = 0, weightSum = 0;
        bool wasTraining = model.training;
        var device = ModelOutputs.DeviceOf(model);
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var folded = (model as ImageClassifier)?.FoldedInference();
            foreach (var batch in source.Batches(epoch, cancellationToken))
            {
                using var scope = NewDisposeScope();
                using var owned = batch;
                if (batch.Count == 0) continue; // this rank's slice of a small last batch
                var batchLabels = batch.Labels.to(device);
                var logits = model.forward(batch.Images.to(device));
                double[]? batchLosses = null;
                if (sampleLosses is not null)
                {
                    batchLosses = lossFunction.PerSample(logits, batchLabels).to(ScalarType.Float64).cpu().data<double>().ToArray();
                    lossSum += batchLosses.Sum();
                }
                else
                {
                    lossSum += lossFunction.BatchSum(logits, batchLabels).item<float>();
                }
                weightSum += lossFunction.BatchWeight(batchLabels);
                var probs = ModelOutputs.Probabilities(logits);
                var flat = probs.cpu().data<float>().ToArray();
                var labelValues = batch.Labels.cpu().data<long>().ToArray();
                int classes = (int)probs.shape[1];
                for (int i = 0; i < batch.Count; i++)
                {
                    int index = batch.Indices[i];
                    if (seen[index]) throw new InvalidOperationException($"The evaluation source yielded sample {index} twice in one pass.");
                    seen[index] = true;
                    probabilities[index] = flat.AsSpan(i * classes, classes).ToArray();
                    labels[index] = (int)labelValues[i];
                    if (batchLosses is not null) sampleLosses![index] = batchLosses[i];
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        if (!source.Shard.IsWhole) (lossSum, weightSum) = Gather(ProcessGroup.Current, probabilities, labels, seen, sampleLosses, lossSum, weightSum);
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0) throw new InvalidOperationException($"The evaluation source skipped sample {missing}: every sample must be yielded once per pass.");
        return new Predictions(probabilities, labels, source.SampleCount == 0 ? double.NaN : lossSum / weightSum, clock.Elapsed.TotalSeconds)
        {
            SampleLosses = sampleLosses,
        };
    }

    /// <summary>
    /// Fills every rank's arrays with the rows the other ranks predicted (each sample was predicted by one rank) and
    /// returns the summed loss and weight.
    /// </summary>
    private static (double LossSum, double WeightSum) Gather(ProcessGroup group, float[][] probabilities, int[] labels, bool[] seen, double[]? sampleLosses,
        double lossSum, double weightSum)
    {
        int n = labels.Length;
        int localClasses = probabilities.FirstOrDefault(p => p is not null)?.Length ?? 0;
        Span<double> head = [lossSum, weightSum, localClasses, localClasses > 0 ? 1 : 0];
        group.Sum(head);
        int classes = head[3] > 0 ? (int)Math.Round(head[2] / head[3]) : 0;
        int width = classes + 3; // probabilities, label, loss, seen
        var rows = new double[(long)n * width];
        for (int i = 0; i < n; i++)
        {
            if (!seen[i]) continue;
            var row = rows.AsSpan(i * width, width);
            for (int c = 0; c < classes; c++) row[c] = probabilities[i][c];
            row[classes] = labels[i];
            row[classes + 1] = sampleLosses?[i] ?? 0;
            row[classes + 2] = 1;
        }
        group.Sum(rows);
        for (int i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * width, width);
            if (row[classes + 2] > 1) throw new InvalidOperationException($"The evaluation source yielded sample {i} on {row[classes + 2]} ranks in one pass.");
            if (row[classes + 2] == 0) continue;
            seen[i] = true;
            var p = new float[classes];
            for (int c = 0; c < classes; c++) p[c] = (float)row[c];
            probabilities[i] = p;
            labels[i] = (int)row[classes];
            if (sampleLosses is not null) sampleLosses[i] = row[classes + 1];
        }
        return (head[0], head[1]);
    }
}
