using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// preprocessing-mismatch: are training and validation inputs alike (an error when not: validation then measures the
/// model on inputs it was not trained on), and on the scale the backbone expects (a warning when not: the pretrained
/// features are wasted, but validation still measures what training built)?
/// </summary>
internal sealed class PreprocessingCheck() : PipelineCheck(FindingCodes.PreprocessingMismatch, deep: false)
{
    /// <summary>Per-channel statistics of the model inputs of one split.</summary>
    /// <param name="Mean">Mean per channel.</param>
    /// <param name="Std">Standard deviation per channel.</param>
    /// <param name="Min">Smallest value per channel.</param>
    /// <param name="Max">Largest value per channel.</param>
    /// <param name="Images">Images measured.</param>
    /// <param name="ImagesWithUnitMax">Images whose largest value is exactly 1 (divided by their own maximum).</param>
    internal sealed record SplitStatistics(double[] Mean, double[] Std, double[] Min, double[] Max, int Images, int ImagesWithUnitMax);

    /// <summary>What the check measured.</summary>
    /// <param name="Train">Training inputs.</param>
    /// <param name="Validation">Validation inputs.</param>
    /// <param name="Expected">The backbone's normalisation, or null when unknown.</param>
    internal sealed record Measurement(SplitStatistics Train, SplitStatistics Validation, Preprocessing? Expected);

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var setup = probe.Setup;
        var batches = probe.Options.StatisticsBatches;
        var m = new Measurement(Statistics(setup.Train, batches, cancellationToken), Statistics(setup.Validation, batches, cancellationToken),
            setup.ExpectedInput ?? probe.Classifier?.Spec.Preprocessing);
        var shift = Enumerable.Range(0, Math.Min(m.Train.Mean.Length, m.Validation.Mean.Length)).Max(c => Math.Abs(Shift(m, c)));
        return CheckOutcome.Of(Report(m), string.Create(Inv, $"largest train/validation channel shift {shift:0.00} train std"));
    }

    private static SplitStatistics Statistics(IBatchSource source, int batches, CancellationToken cancellationToken)
    {
        double[] sum = [], squares = [], min = [], max = [];
        long perChannel = 0;
        int images = 0, unitMax = 0, read = 0;
        foreach (var batch in source.Batches(0, cancellationToken))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            var x = batch.Images.to_type(ScalarType.Float64);
            var channels = (int)x.shape[1];
            if (sum.Length == 0)
            {
                (sum, squares) = (new double[channels], new double[channels]);
                min = Enumerable.Repeat(double.PositiveInfinity, channels).ToArray();
                max = Enumerable.Repeat(double.NegativeInfinity, channels).ToArray();
            }
            var values = x.transpose(0, 1).reshape(channels, -1);
            var sums = values.sum(1).data<double>().ToArray();
            var squared = values.square().sum(1).data<double>().ToArray();
            var mins = values.amin([1]).data<double>().ToArray();
            var maxs = values.amax([1]).data<double>().ToArray();
            for (var c = 0; c < channels; c++)
            {
                sum[c] += sums[c];
                squares[c] += squared[c];
                min[c] = Math.Min(min[c], mins[c]);
                max[c] = Math.Max(max[c], maxs[c]);
            }
            perChannel += values.shape[1];
            var imageMax = x.reshape(batch.Count, -1).amax([1]).data<double>().ToArray();
            images += batch.Count;
            unitMax += imageMax.Count(m => Math.Abs(m - 1) < 1e-5);
            if (++read >= batches)
            {
                break;
            }
        }
        var mean = sum.Select(s => s / perChannel).ToArray();
        var std = squares.Select((s, c) => Math.Sqrt(Math.Max(0, s / perChannel - mean[c] * mean[c]))).ToArray();
        return new SplitStatistics(mean, std, min, max, images, unitMax);
    }

    /// <summary>How far validation's mean is from training's in channel <paramref name="c"/>, in training standard deviations.</summary>
    private static double Shift(Measurement m, int c) => (m.Validation.Mean[c] - m.Train.Mean[c]) / Math.Max(m.Train.Std[c], 1e-12);

    /// <summary>The finding for a measurement, or null when the inputs are alike and on the expected scale.</summary>
    internal static Finding? Report(Measurement m)
    {
        var (train, validation, expected) = (m.Train, m.Validation, m.Expected);
        var evidence = new List<string>();
        var splitsDiffer = new List<string>();
        var offScale = new List<string>();
        var channels = Math.Min(train.Mean.Length, validation.Mean.Length);
        for (var c = 0; c < channels; c++)
        {
            var d = Shift(m, c);
            var ratio = validation.Std[c] / Math.Max(train.Std[c], 1e-12);
            evidence.Add(string.Create(Inv, $"channel {c}: train mean {train.Mean[c]:0.###} std {train.Std[c]:0.###}, validation mean {validation.Mean[c]:0.###} std {validation.Std[c]:0.###} (shift {d:0.00} train std, std ratio {ratio:0.00})"));
            if (Math.Abs(d) > 0.5 || ratio is < 0.67 or > 1.5)
            {
                splitsDiffer.Add($"train and validation inputs differ in channel {c}");
            }
        }
        if (expected is not null)
        {
            var full = expected.Scale == ValueScale.Byte ? 255.0 : 1.0;
            // Natural photos: per-channel mean and spread near ImageNet's (RGB 0.485/0.456/0.406, std ~0.226 of full scale).
            double[] naturalMean = expected.ColorOrder == ColorOrder.Bgr ? [0.406, 0.456, 0.485] : [0.485, 0.456, 0.406];
            for (var c = 0; c < Math.Min(channels, expected.Mean.Length); c++)
            {
                var expectedMean = (naturalMean[c] * full - expected.Mean[c]) / expected.Std[c];
                var expectedStd = 0.226 * full / expected.Std[c];
                var low = (0 - expected.Mean[c]) / expected.Std[c];
                var high = (full - expected.Mean[c]) / expected.Std[c];
                foreach (var (name, s) in new[] { ("train", train), ("validation", validation) })
                {
                    var ratio = s.Std[c] / expectedStd;
                    var offset = (s.Mean[c] - expectedMean) / expectedStd;
                    if (ratio is < 0.25 or > 4 || Math.Abs(offset) > 3)
                    {
                        offScale.Add($"{name} values are on a different scale from the backbone's normalisation");
                        evidence.Add(string.Create(Inv,
                            $"{name} channel {c}: observed mean {s.Mean[c]:0.###} std {s.Std[c]:0.###} range [{s.Min[c]:0.###}, {s.Max[c]:0.###}]; the backbone expects natural images normalised to about mean {expectedMean:0.##} std {expectedStd:0.##} within [{low:0.##}, {high:0.##}] (std {ratio:0.###}x expected)"));
                    }
                }
            }
            foreach (var (name, s) in new[] { ("train", train), ("validation", validation) })
            {
                if (s.Images > 1 && s.ImagesWithUnitMax == s.Images && full > 1.5)
                {
                    evidence.Insert(0, string.Create(Inv,
                        $"every {name} image has a maximum of exactly 1.0 ({s.Images} of {s.Images}): the images look divided by their own maximum, while the backbone expects {expected.Scale} values ({expected.ColorOrder}, minus mean [{string.Join(", ", expected.Mean.Select(v => v.ToString("0.##", Inv)))}], divided by std [{string.Join(", ", expected.Std.Select(v => v.ToString("0.###", Inv)))}])"));
                    offScale.Add($"{name} images are divided by their own maximum (values 0..1) instead of getting the backbone's normalisation ({expected.Scale} {expected.ColorOrder} minus mean)");
                }
            }
        }
        if (splitsDiffer.Count + offScale.Count == 0)
        {
            return null;
        }
        return new Finding(FindingCodes.PreprocessingMismatch, splitsDiffer.Count > 0 ? FindingSeverity.Error : FindingSeverity.Warning,
            $"The model's input is not what it expects: {string.Join("; ", Merge([.. splitsDiffer, .. offScale]))}.",
            evidence.OrderByDescending(e => !e.StartsWith("channel", StringComparison.Ordinal)).ToList(),
            expected is null
                ? "Apply exactly the same resizing and normalisation to training and validation images; only random augmentation may differ."
                : $"Feed the backbone what it was trained on: {expected.Scale} pixel values in {expected.ColorOrder} order, minus the spec's mean, divided by its std, the same for training and validation (Holdout's BatchLoader does this from the BackboneSpec); do not divide images by their own maximum.");
    }

    /// <summary>"train X" and "validation X" become "train and validation X".</summary>
    private static IEnumerable<string> Merge(List<string> problems)
    {
        var distinct = problems.Distinct().ToList();
        foreach (var problem in distinct)
        {
            if (problem.StartsWith("validation ", StringComparison.Ordinal) && distinct.Contains("train " + problem["validation ".Length..]))
            {
                continue;
            }
            if (problem.StartsWith("train ", StringComparison.Ordinal) && distinct.Contains("validation " + problem["train ".Length..]))
            {
                yield return "train and validation " + problem["train ".Length..];
                continue;
            }
            yield return problem;
        }
    }
}
