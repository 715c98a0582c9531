using Holdout.Data;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// eval-coverage: does the validation source yield every sample exactly once per pass, with the same pixels on every
/// pass? Skipped or repeated samples are an error (the score is computed on another set); random pixels are a warning
/// (the score depends on a draw); a changing order is information, or a warning when the model's eval-mode outputs
/// depend on which images share a batch (then the order changes the score).
/// </summary>
internal sealed class EvalCoverageCheck() : PipelineCheck(FindingCodes.EvalCoverage, deep: false)
{
    /// <summary>The relative feature change from which eval-mode outputs count as depending on the batch.</summary>
    public const double BatchDependenceThreshold = 1e-2;

    /// <summary>What one pass over the validation source yielded.</summary>
    /// <param name="Name">Which pass, e.g. "pass 1 (epoch 0)".</param>
    /// <param name="Yielded">Samples yielded, repeats included.</param>
    /// <param name="Missing">Indices in 0..N-1 never yielded.</param>
    /// <param name="Repeated">Indices yielded more than once.</param>
    /// <param name="Outside">Indices outside 0..N-1.</param>
    internal sealed record PassCoverage(string Name, int Yielded, IReadOnlyList<int> Missing, IReadOnlyList<int> Repeated, IReadOnlyList<int> Outside)
    {
        public bool Complete => Missing.Count + Repeated.Count + Outside.Count == 0;
    }

    /// <summary>Where two passes first put different samples.</summary>
    /// <param name="Passes">Which two passes, in words.</param>
    /// <param name="Position">The first position that differs.</param>
    /// <param name="First">The sample at that position in the first pass ("nothing" when it ended).</param>
    /// <param name="Second">The sample there in the second pass.</param>
    internal sealed record OrderChange(string Passes, int Position, string First, string Second);

    /// <summary>What the check observed.</summary>
    /// <param name="SampleCount">The source's SampleCount.</param>
    /// <param name="Passes">Coverage of each pass: epoch 0, epoch 0 again, epoch 1.</param>
    /// <param name="SameEpoch">How two passes over epoch 0 differ in order, or null when they agree.</param>
    /// <param name="NextEpoch">How epoch 1's order differs from epoch 0's, or null when it agrees.</param>
    /// <param name="ChangedPixels">Samples whose pixels differ between the two passes over epoch 0, a few of them.</param>
    /// <param name="ChangedPixelCount">How many samples' pixels differ.</param>
    /// <param name="ComparedSamples">Samples seen in both passes over epoch 0.</param>
    /// <param name="BatchDependence">How much the eval-mode features of a batch change when it is split in two (largest relative change), or null when not measured.</param>
    internal sealed record Measurement(int SampleCount, IReadOnlyList<PassCoverage> Passes, OrderChange? SameEpoch, OrderChange? NextEpoch,
        IReadOnlyList<int> ChangedPixels, int ChangedPixelCount, int ComparedSamples, double? BatchDependence);

    private sealed record Pass(List<int> Indices, Dictionary<int, double> Content);

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var m = Measure(probe, cancellationToken);
        var complete = m.Passes.Count(p => p.Complete);
        return CheckOutcome.Of(Report(m), string.Create(Inv,
            $"{complete} of {m.Passes.Count} passes yield each of {m.SampleCount} samples once; order {(m.SameEpoch is null && m.NextEpoch is null ? "fixed" : "changes")}; {m.ChangedPixelCount} samples change pixels"));
    }

    internal static Measurement Measure(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var validation = probe.Setup.Validation;
        var n = validation.SampleCount;
        var first = ReadPass(validation, 0, cancellationToken);
        var second = ReadPass(validation, 0, cancellationToken);
        var nextEpoch = ReadPass(validation, 1, cancellationToken);
        var passes = new[] { ("pass 1 (epoch 0)", first), ("pass 2 (epoch 0 again)", second), ("pass 3 (epoch 1)", nextEpoch) }
            .Select(p => Coverage(p.Item1, p.Item2.Indices, n)).ToList();
        var compared = first.Content.Keys.Where(second.Content.ContainsKey).ToList();
        var changed = compared.Where(k => Math.Abs(second.Content[k] - first.Content[k]) > 1e-3 * Math.Max(1, Math.Abs(first.Content[k]))).Order().ToList();
        var sameEpoch = Order("two passes over epoch 0", first.Indices, second.Indices);
        var next = Order("epoch 0 and epoch 1", first.Indices, nextEpoch.Indices);
        double? dependence = (sameEpoch ?? next) is not null && passes.All(p => p.Complete) && changed.Count == 0 ? BatchDependence(probe) : null;
        return new Measurement(n, passes, sameEpoch, next, changed.Take(5).ToList(), changed.Count, compared.Count, dependence);
    }

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

    private static PassCoverage Coverage(string name, List<int> indices, int n)
    {
        var counts = indices.GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        return new PassCoverage(name, indices.Count,
            Enumerable.Range(0, n).Where(i => !counts.ContainsKey(i)).ToList(),
            counts.Where(kv => kv.Value > 1).Select(kv => kv.Key).Order().ToList(),
            counts.Keys.Where(i => i < 0 || i >= n).Order().ToList());
    }

    private static OrderChange? Order(string passes, List<int> a, List<int> b)
    {
        if (a.SequenceEqual(b))
        {
            return null;
        }
        var at = Enumerable.Range(0, Math.Max(a.Count, b.Count)).First(i => i >= a.Count || i >= b.Count || a[i] != b[i]);
        return new OrderChange(passes, at, Get(a, at), Get(b, at));
    }

    private static string Get(List<int> list, int at) => at < list.Count ? list[at].ToString(Inv) : "nothing";

    /// <summary>The largest relative change of an image's eval-mode features when its batch is split in two.</summary>
    private static double? BatchDependence(PipelineProbe probe)
    {
        var images = probe.ValidationBatch.Images;
        var count = (int)images.shape[0];
        if (count < 2)
        {
            return null;
        }
        using var scope = NewDisposeScope();
        var whole = probe.Features(images, trainMode: false);
        var halves = cat([probe.Features(images.narrow(0, 0, count / 2), trainMode: false), probe.Features(images.narrow(0, count / 2, count - count / 2), trainMode: false)], 0);
        return ((halves - whole).norm(1) / whole.norm(1).clamp_min(1e-12)).max().item<float>();
    }

    /// <summary>The finding for what was observed, or null when every pass yields every sample once, the same way.</summary>
    internal static Finding? Report(Measurement m)
    {
        var evidence = new List<string>();
        foreach (var pass in m.Passes.Where(p => !p.Complete))
        {
            evidence.Add(string.Create(Inv,
                $"{pass.Name}: yielded {pass.Yielded} samples for SampleCount {m.SampleCount}; {pass.Missing.Count} never yielded{Outputs.Examples(pass.Missing)}, {pass.Repeated.Count} yielded more than once{Outputs.Examples(pass.Repeated)}{(pass.Outside.Count > 0 ? $", {pass.Outside.Count} indices outside 0..{m.SampleCount - 1}" : "")}"));
        }
        foreach (var change in new[] { m.SameEpoch, m.NextEpoch }.OfType<OrderChange>())
        {
            evidence.Add(string.Create(Inv, $"{change.Passes} yield different orders: position {change.Position} holds sample {change.First} in the first and {change.Second} in the second"));
        }
        if (m.ChangedPixelCount > 0)
        {
            evidence.Add(string.Create(Inv, $"{m.ChangedPixelCount} of {m.ComparedSamples} samples have different pixels in two passes over epoch 0{Outputs.Examples(m.ChangedPixels)}"));
        }
        if (m.BatchDependence is { } dependence)
        {
            evidence.Add(string.Create(Inv, $"splitting a batch of validation images in two changes their eval-mode features by up to {dependence:0.####} of their size (from {BatchDependenceThreshold} the score depends on which images share a batch)"));
        }
        if (evidence.Count == 0)
        {
            return null;
        }
        foreach (var pass in m.Passes.Where(p => p.Complete))
        {
            evidence.Add(string.Create(Inv, $"{pass.Name}: yielded each of the {m.SampleCount} samples exactly once"));
        }
        var broken = m.Passes.FirstOrDefault(p => !p.Complete);
        if (broken is not null)
        {
            var drifts = m.SameEpoch is not null ? "; a second pass over the same epoch yields other samples, so each evaluation scores a different subset" : "";
            return new Finding(FindingCodes.EvalCoverage, FindingSeverity.Error,
                string.Create(Inv, $"The validation source does not yield each of its {m.SampleCount} samples once per pass: {broken.Name} yielded {broken.Yielded}, {broken.Repeated.Count} of them more than once and {broken.Missing.Count} not at all{drifts}. Validation scores are computed on a different set than the validation split."),
                evidence,
                "Make the validation source stateless: derive each batch only from (epoch, batch number), cover samples 0..N-1 once in a fixed order, and keep the last partial batch (Holdout's BatchLoader.ForEvaluation does this).");
        }
        if (m.ChangedPixelCount > 0)
        {
            return new Finding(FindingCodes.EvalCoverage, FindingSeverity.Warning,
                string.Create(Inv, $"The validation source yields different pixels for {m.ChangedPixelCount} of {m.ComparedSamples} samples on two passes over the same epoch: validation scores depend on a random draw (augmentation or other randomness in validation)."),
                evidence,
                "Turn off augmentation and other randomness for validation (BatchLoader.ForEvaluation).");
        }
        var when = m.SameEpoch is not null ? "from one call to the next" : "from epoch to epoch";
        if (m.BatchDependence is { } d && d >= BatchDependenceThreshold)
        {
            return new Finding(FindingCodes.EvalCoverage, FindingSeverity.Warning,
                string.Create(Inv, $"Each pass yields all {m.SampleCount} validation samples exactly once, but the order changes {when}, and the model's eval-mode features change by up to {d:0.####} when a batch is split: the order changes the per-epoch scores."),
                evidence,
                "Give validation a fixed order (derive it from the epoch at most), and find the layer that mixes images of a batch in eval mode (BatchNorm without moving statistics, or a layer normalising over the batch).");
        }
        return new Finding(FindingCodes.EvalCoverage, FindingSeverity.Info,
            string.Create(Inv, $"Each pass yields all {m.SampleCount} validation samples exactly once, but the order changes {when}: accuracy and loss do not depend on the order, but code that matches predictions to samples by position (not by index) would mismatch them."),
            evidence,
            "Nothing to do for the scores; for reproducible prediction files, derive the validation order from the epoch or keep it fixed (BatchLoader.ForEvaluation).");
    }
}
