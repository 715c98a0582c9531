using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>preprocessing-mismatch: are training and validation inputs alike, and on the scale the backbone expects?</summary>
internal sealed class PreprocessingCheck() : PipelineCheck(FindingCodes.PreprocessingMismatch, trains: false)
{
    private sealed class ChannelStatistics
    {
        public double[] Sum = [];
        public double[] Squares = [];
        public double[] Min = [];
        public double[] Max = [];
        public long PerChannel;
        public int Images;
        public int ImagesWithUnitMax;
        public int Batches;

        public double Mean(int c) => Sum[c] / PerChannel;

        public double Std(int c) => Math.Sqrt(Math.Max(0, Squares[c] / PerChannel - Mean(c) * Mean(c)));
    }

    private static ChannelStatistics Statistics(IBatchSource source, int batches, CancellationToken cancellationToken)
    {
        var stats = new ChannelStatistics();
        foreach (var batch in source.Batches(0, cancellationToken))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            var x = batch.Images.to_type(ScalarType.Float64);
            var channels = (int)x.shape[1];
            if (stats.Sum.Length == 0)
            {
                stats.Sum = new double[channels];
                stats.Squares = new double[channels];
                stats.Min = Enumerable.Repeat(double.PositiveInfinity, channels).ToArray();
                stats.Max = Enumerable.Repeat(double.NegativeInfinity, channels).ToArray();
            }
            var perChannel = x.transpose(0, 1).reshape(channels, -1);
            var sums = perChannel.sum(1).data<double>().ToArray();
            var squares = perChannel.square().sum(1).data<double>().ToArray();
            var mins = perChannel.amin([1]).data<double>().ToArray();
            var maxs = perChannel.amax([1]).data<double>().ToArray();
            for (var c = 0; c < channels; c++)
            {
                stats.Sum[c] += sums[c];
                stats.Squares[c] += squares[c];
                stats.Min[c] = Math.Min(stats.Min[c], mins[c]);
                stats.Max[c] = Math.Max(stats.Max[c], maxs[c]);
            }
            stats.PerChannel += perChannel.shape[1];
            var imageMax = x.reshape(batch.Count, -1).amax([1]).data<double>().ToArray();
            stats.Images += batch.Count;
            stats.ImagesWithUnitMax += imageMax.Count(m => Math.Abs(m - 1) < 1e-5);
            if (++stats.Batches >= batches)
            {
                break;
            }
        }
        return stats;
    }

    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var setup = probe.Setup;
        var options = probe.Options;
        var train = Statistics(setup.Train, options.StatisticsBatches, cancellationToken);
        var validation = Statistics(setup.Validation, options.StatisticsBatches, cancellationToken);
        var evidence = new List<string>();
        var problems = new List<string>();
        var channels = Math.Min(train.Sum.Length, validation.Sum.Length);
        for (var c = 0; c < channels; c++)
        {
            double mt = train.Mean(c), st = train.Std(c), mv = validation.Mean(c), sv = validation.Std(c);
            var d = (mv - mt) / Math.Max(st, 1e-12);
            var ratio = sv / Math.Max(st, 1e-12);
            evidence.Add(string.Create(Inv, $"channel {c}: train mean {mt:0.###} std {st:0.###}, validation mean {mv:0.###} std {sv:0.###} (shift {d:0.00} train std, std ratio {ratio:0.00})"));
            if (Math.Abs(d) > 0.5 || ratio is < 0.67 or > 1.5)
            {
                problems.Add($"train and validation inputs differ in channel {c}");
            }
        }
        var expected = setup.ExpectedInput ?? (setup.Model as ImageClassifier)?.Spec.Preprocessing;
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
                    var ratio = s.Std(c) / expectedStd;
                    var offset = (s.Mean(c) - expectedMean) / expectedStd;
                    if (ratio is < 0.25 or > 4 || Math.Abs(offset) > 3)
                    {
                        problems.Add($"{name} values are on a different scale from the backbone's normalisation");
                        evidence.Add(string.Create(Inv,
                            $"{name} channel {c}: observed mean {s.Mean(c):0.###} std {s.Std(c):0.###} range [{s.Min[c]:0.###}, {s.Max[c]:0.###}]; the backbone expects natural images normalised to about mean {expectedMean:0.##} std {expectedStd:0.##} within [{low:0.##}, {high:0.##}] (std {ratio:0.###}x expected)"));
                    }
                }
            }
            foreach (var (name, s) in new[] { ("train", train), ("validation", validation) })
            {
                if (s.Images > 1 && s.ImagesWithUnitMax == s.Images && full > 1.5)
                {
                    evidence.Insert(0, string.Create(Inv,
                        $"every {name} image has a maximum of exactly 1.0 ({s.Images} of {s.Images}): the images look divided by their own maximum, while the backbone expects {expected.Scale} values ({expected.ColorOrder}, minus mean [{string.Join(", ", expected.Mean.Select(m => m.ToString("0.##", Inv)))}], divided by std [{string.Join(", ", expected.Std.Select(m => m.ToString("0.###", Inv)))}])"));
                    problems.Add($"{name} images are divided by their own maximum (values 0..1) instead of getting the backbone's normalisation ({expected.Scale} {expected.ColorOrder} minus mean)");
                }
            }
        }
        if (problems.Count == 0)
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.PreprocessingMismatch, FindingSeverity.Error,
                $"The model's input is not what it expects: {string.Join("; ", Merge(problems))}.",
                evidence.OrderByDescending(e => !e.StartsWith("channel", StringComparison.Ordinal)).ToList(),
                expected is null
                    ? "Apply exactly the same resizing and normalisation to training and validation images; only random augmentation may differ."
                    : $"Feed the backbone what it was trained on: {expected.Scale} pixel values in {expected.ColorOrder} order, minus the spec's mean, divided by its std, the same for training and validation (Holdout's BatchLoader does this from the BackboneSpec); do not divide images by their own maximum."),
        ];
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
