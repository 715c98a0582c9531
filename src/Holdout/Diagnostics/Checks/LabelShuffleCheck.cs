namespace Holdout.Diagnostics.Checks;

/// <summary>
/// label-shuffle-baseline: do the labels carry a signal that carries over to images the model did not learn from?
/// Holdout's linear probe (<see cref="HeldOutProbe"/>) is fitted to a few hundred training images with their real labels and
/// with shuffled ones, and scored on held-out images (k-fold), on the model's features (<see cref="ModelFeatures"/>)
/// and, when those show no signal, on 8 x 8 thumbnails of the model input. Memorising works for any labels; only a
/// real signal carries over, so the held-out balanced accuracies differ clearly when the labels match the images
/// and not at all when they do not.
/// </summary>
internal sealed class LabelShuffleCheck() : PipelineCheck(FindingCodes.LabelShuffleBaseline, deep: true)
{
    /// <summary>
    /// The least gain in held-out balanced accuracy of the real labels over shuffled ones, in the better view, that
    /// counts as a signal. Calibrated on clean and broken setups (see docs/doctor.md).
    /// </summary>
    public const double GainThreshold = 0.15;

    /// <summary>Parts the samples are cut into; each is predicted by a probe fitted to the others.</summary>
    public const int Folds = 4;

    /// <summary>Random shuffles of the labels the real ones are compared with.</summary>
    public const int Shuffles = 4;

    /// <summary>The fewest samples the check runs on.</summary>
    public const int MinimumSamples = 16;

    /// <summary>The probe's result in one view of the images.</summary>
    /// <param name="Name">The view, in words.</param>
    /// <param name="Features">Numbers per image.</param>
    /// <param name="Real">Held-out balanced accuracy with the real labels.</param>
    /// <param name="Shuffled">Held-out balanced accuracy with each shuffle of the labels.</param>
    internal sealed record View(string Name, int Features, double Real, IReadOnlyList<double> Shuffled)
    {
        public double ShuffledMean => Shuffled.Average();

        public double Gain => Real - ShuffledMean;
    }

    /// <summary>What the probe measured.</summary>
    /// <param name="Samples">Training images the probe used.</param>
    /// <param name="Classes">Classes among their labels.</param>
    /// <param name="Views">The probe's result in each view.</param>
    /// <param name="FeaturesAreLearned">Whether the model's features come from a pretrained or trained network.</param>
    internal sealed record Measurement(int Samples, int Classes, IReadOnlyList<View> Views, bool FeaturesAreLearned)
    {
        /// <summary>The view where the real labels gain most.</summary>
        public View Best => Views.MaxBy(v => v.Gain)!;
    }

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var samples = probe.DeepSamples;
        var labels = samples.Labels.data<long>().ToArray();
        if (samples.Count < MinimumSamples || labels.Distinct().Count() < 2)
        {
            return new CheckOutcome([], string.Create(Inv, $"skipped: {samples.Count} training samples of {labels.Distinct().Count()} class(es); needs {MinimumSamples} of 2 or more"));
        }
        var m = Measure(probe, labels, cancellationToken);
        return CheckOutcome.Of(Report(m), string.Join("; ", m.Views.Select(v => string.Create(Inv,
            $"{v.Name}: held-out balanced accuracy {v.Real:P0} with the real labels, {v.ShuffledMean:P0} shuffled (gain {v.Gain:0.00})")))
            + string.Create(Inv, $"; threshold {GainThreshold:0.00}, {m.Samples} images"));
    }

    private static Measurement Measure(PipelineProbe probe, long[] labels, CancellationToken cancellationToken)
    {
        var classes = (int)labels.Max() + 1;
        var seed = probe.Options.Seed;
        var shuffles = Enumerable.Range(1, Shuffles).Select(s =>
        {
            var permuted = labels.ToArray();
            new Random((int)((seed + 1000 * s) & 0x7fffffff)).Shuffle(permuted);
            return permuted;
        }).ToList();
        View Probe(string name, TorchSharp.torch.Tensor features)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new View(name, (int)features.shape[1], HeldOutProbe.HeldOutBalancedAccuracy(features, labels, classes, Folds, seed, cancellationToken),
                shuffles.Select(s => HeldOutProbe.HeldOutBalancedAccuracy(features, s, classes, Folds, seed, cancellationToken)).ToList());
        }
        // The thumbnails are only needed when the model's features show no signal.
        var features = Probe(ModelFeatures.Describe(probe.Setup.Model), probe.DeepFeatures);
        IReadOnlyList<View> views = features.Gain >= GainThreshold ? [features] : [features, Probe("8x8 thumbnails of the model input", probe.DeepThumbnails)];
        return new Measurement(labels.Length, labels.Distinct().Count(), views, probe.FeaturesAreLearned);
    }

    /// <summary>The finding for a measurement, or null when the real labels carry a signal in some view.</summary>
    internal static Finding? Report(Measurement m)
    {
        var best = m.Best;
        if (best.Gain >= GainThreshold)
        {
            return null;
        }
        var evidence = m.Views.Select(v => string.Create(Inv,
                $"{v.Name} ({v.Features} per image): held-out balanced accuracy {v.Real:P0} with the real labels; {string.Join(", ", v.Shuffled.Select(a => a.ToString("P0", Inv)))} with {v.Shuffled.Count} shuffles of them (mean {v.ShuffledMean:P0}); gain {v.Gain:0.00}"))
            .Append(string.Create(Inv, $"each probe is fitted to about {m.Samples - m.Samples / Folds} of {m.Samples} training images and scored on the other {m.Samples / Folds}, in {Folds} rounds; balanced accuracy is the mean of per-class recalls, 1/{m.Classes} by guessing"))
            .Append(string.Create(Inv, $"the largest gain, {best.Gain:0.00}, is below {GainThreshold:0.00}, from which the labels count as carrying a signal"))
            .ToList();
        if (m.FeaturesAreLearned)
        {
            return new Finding(FindingCodes.LabelShuffleBaseline, FindingSeverity.Warning,
                string.Create(Inv, $"Trained on the real labels, a linear probe predicts held-out images no better than when trained on shuffled labels ({best.Real:P0} against {best.ShuffledMean:P0} on {best.Name}): neither the model's learned features nor the images themselves reveal the labels, so the model can only memorise them."),
                evidence,
                "Check that each image carries its own label (a manifest whose rows were shuffled or sorted separately, class folders renamed, label indices from another class order), and that the classes differ visibly at this image size.");
        }
        return new Finding(FindingCodes.LabelShuffleBaseline, FindingSeverity.Info,
            string.Create(Inv, $"Trained on the real labels, a linear probe predicts held-out images no better than when trained on shuffled labels ({best.Real:P0} against {best.ShuffledMean:P0} on {best.Name}); the network is at random initialisation, and random features can hide a signal that training finds, so this alone does not show the labels are wrong."),
            evidence,
            "Check again with a pretrained backbone (--weights bundled) or on the trained run: there, no gain over shuffled labels means the labels do not match the images.");
    }
}
