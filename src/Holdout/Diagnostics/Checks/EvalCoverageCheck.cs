using Holdout.Data;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>eval-coverage: does the validation source yield every sample exactly once per pass, the same on every pass?</summary>
internal sealed class EvalCoverageCheck() : PipelineCheck(FindingCodes.EvalCoverage, trains: false)
{
    private sealed record Pass(List<int> Indices, Dictionary<int, double> Content);

    private static Pass ReadPass(IBatchSource source, int epoch, CancellationToken cancellationToken)
    {
        var indices = new List<int>();
        var content = new Dictionary<int, double>();
        foreach (var batch in source.Batches(epoch, cancellationToken))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            var sums = batch.Images.to_type(ScalarType.Float64).reshape(batch.Count, -1).sum(1).data<double>().ToArray();
            for (var i = 0; i < batch.Count; i++)
            {
                indices.Add(batch.Indices[i]);
                content.TryAdd(batch.Indices[i], sums[i]);
            }
        }
        return new Pass(indices, content);
    }

    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var validation = probe.Setup.Validation;
        var n = validation.SampleCount;
        var first = ReadPass(validation, 0, cancellationToken);
        var second = ReadPass(validation, 0, cancellationToken);
        var nextEpoch = ReadPass(validation, 1, cancellationToken);
        var evidence = new List<string>();
        var coverageBroken = false;
        foreach (var (name, pass) in new[] { ("pass 1 (epoch 0)", first), ("pass 2 (epoch 0 again)", second), ("pass 3 (epoch 1)", nextEpoch) })
        {
            var counts = pass.Indices.GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
            var repeated = counts.Where(kv => kv.Value > 1).Select(kv => kv.Key).Order().ToList();
            var missing = Enumerable.Range(0, n).Where(i => !counts.ContainsKey(i)).ToList();
            var outside = counts.Keys.Where(i => i < 0 || i >= n).Order().ToList();
            if (repeated.Count + missing.Count + outside.Count == 0)
            {
                continue;
            }
            coverageBroken = true;
            evidence.Add(string.Create(Inv,
                $"{name}: yielded {pass.Indices.Count} samples for SampleCount {n}; {missing.Count} never yielded{Outputs.Examples(missing)}, {repeated.Count} yielded more than once{Outputs.Examples(repeated)}{(outside.Count > 0 ? $", {outside.Count} indices outside 0..{n - 1}" : "")}"));
        }
        var orderDiffers = !first.Indices.SequenceEqual(second.Indices);
        if (orderDiffers)
        {
            coverageBroken = true;
            var at = Enumerable.Range(0, Math.Min(first.Indices.Count, second.Indices.Count)).FirstOrDefault(i => first.Indices[i] != second.Indices[i]);
            evidence.Add(string.Create(Inv,
                $"two passes over epoch 0 yield different samples: position {at} holds sample {Get(first.Indices, at)} in pass 1 and {Get(second.Indices, at)} in pass 2; the source keeps its own counter across calls"));
        }
        var changed = first.Content.Keys.Where(k => second.Content.TryGetValue(k, out var v) && Math.Abs(v - first.Content[k]) > 1e-3 * Math.Max(1, Math.Abs(v))).ToList();
        if (changed.Count > 0)
        {
            evidence.Add(string.Create(Inv,
                $"{changed.Count} of {first.Content.Count} samples have different pixels in two passes over the same epoch{Outputs.Examples(changed)}: random augmentation or other randomness in validation"));
        }
        if (evidence.Count == 0)
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.EvalCoverage, coverageBroken ? FindingSeverity.Error : FindingSeverity.Warning,
                coverageBroken
                    ? "The validation source does not yield every sample exactly once per pass: validation scores are computed on a changing, partly repeated subset."
                    : "The validation source yields different pixels for the same sample on different passes: validation scores are noisy.",
                evidence,
                coverageBroken
                    ? "Make the validation source stateless: derive each batch only from (epoch, batch number), cover samples 0..N-1 once in a fixed order, and keep the last partial batch (Holdout's BatchLoader.ForEvaluation does this)."
                    : "Turn off augmentation and other randomness for validation (BatchLoader.ForEvaluation)."),
        ];
    }

    private static string Get(List<int> list, int at) => at < list.Count ? list[at].ToString(Inv) : "nothing";
}
