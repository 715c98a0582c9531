using System.Diagnostics;
using Holdout.Data;
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
    /// <param name="epoch">Passed to the source (evaluation sources ignore it). Defaults to 0.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    public static Predictions Predict(nn.Module<Tensor, Tensor> model, IBatchSource source, int epoch = 0, CancellationToken cancellationToken = default)
    {
        NativeRuntime.EnsureInitialized();
        var clock = Stopwatch.StartNew();
        var probabilities = new float[source.SampleCount][];
        var labels = new int[source.SampleCount];
        var seen = new bool[source.SampleCount];
        double lossSum = 0;
        bool wasTraining = model.training;
        var device = ModelDevice(model);
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in source.Batches(epoch, cancellationToken))
            {
                using var scope = NewDisposeScope();
                using var owned = batch;
                var logits = model.forward(batch.Images.to(device));
                var (probs, nll) = ProbabilitiesAndLoss(logits, batch.Labels.to(device));
                lossSum += nll.sum().item<float>();
                var flat = probs.cpu().data<float>().ToArray();
                var batchLabels = batch.Labels.cpu().data<long>().ToArray();
                int classes = (int)probs.shape[1];
                for (int i = 0; i < batch.Count; i++)
                {
                    int index = batch.Indices[i];
                    if (seen[index]) throw new InvalidOperationException($"The evaluation source yielded sample {index} twice in one pass.");
                    seen[index] = true;
                    probabilities[index] = flat.AsSpan(i * classes, classes).ToArray();
                    labels[index] = (int)batchLabels[i];
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0) throw new InvalidOperationException($"The evaluation source skipped sample {missing}: every sample must be yielded once per pass.");
        return new Predictions(probabilities, labels, source.SampleCount == 0 ? double.NaN : lossSum / source.SampleCount, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Class probabilities and per-sample negative log-likelihood from logits: softmax over C logits, or for a single
    /// logit, sigmoid as the probability of class 1.
    /// </summary>
    internal static (Tensor Probabilities, Tensor Nll) ProbabilitiesAndLoss(Tensor logits, Tensor labels)
    {
        var nll = logits.shape[1] == 1
            ? nn.functional.binary_cross_entropy_with_logits(logits.squeeze(1), labels.to_type(ScalarType.Float32), reduction: nn.Reduction.None)
            : -nn.functional.log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
        return (Probabilities(logits), nll);
    }

    /// <summary>
    /// Class probabilities from logits: softmax over C logits, or for a single logit [1 - sigmoid, sigmoid]. The one
    /// definition evaluation and prediction share, so they agree bit for bit.
    /// </summary>
    internal static Tensor Probabilities(Tensor logits)
    {
        if (logits.shape[1] == 1)
        {
            var p1 = torch.sigmoid(logits);
            return torch.cat([1 - p1, p1], 1);
        }
        return nn.functional.log_softmax(logits, 1).exp();
    }

    /// <summary>The device of a model's first parameter (CPU for a model without parameters).</summary>
    internal static Device ModelDevice(nn.Module model) => model.parameters().FirstOrDefault()?.device ?? torch.CPU;
}
