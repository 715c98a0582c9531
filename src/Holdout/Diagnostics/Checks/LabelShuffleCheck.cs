using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>label-shuffle-baseline: does the model learn shuffled labels as easily as the real ones (memorising)?</summary>
internal sealed class LabelShuffleCheck() : PipelineCheck(FindingCodes.LabelShuffleBaseline, trains: true)
{
    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var (setup, options, device) = (probe.Setup, probe.Options, probe.Device);
        using var batch = PipelineProbe.FirstBatch(setup.Train, options.ShuffleSamples, cancellationToken);
        if (batch.Count < 4)
        {
            return [];
        }
        using var images = batch.Images.to(device);
        using var labels = batch.Labels.to(device);
        var order = Enumerable.Range(0, batch.Count).ToArray();
        new Random((int)(options.Seed & 0x7fffffff)).Shuffle(order);
        using var orderTensor = tensor(order.Select(i => (long)i).ToArray()).to(device);
        using var shuffled = labels.index_select(0, orderTensor);
        FitResult real, fake;
        using (new ModelSnapshot(setup.Model, parameters: true))
        {
            real = probe.Fit(images, labels, options.ShuffleSteps, double.NegativeInfinity);
        }
        using (new ModelSnapshot(setup.Model, parameters: true))
        {
            fake = probe.Fit(images, shuffled, options.ShuffleSteps, double.NegativeInfinity);
        }
        // "As easily": the loss averaged over the steps (the area under the curve), relative to where it started,
        // so two fits that both end near zero still differ in how fast they got there.
        var realDrop = (real.First - real.MeanLoss) / real.First;
        var fakeDrop = (fake.First - fake.MeanLoss) / fake.First;
        if (!double.IsFinite(realDrop) || realDrop <= 0 || fakeDrop < 0.8 * realDrop)
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.LabelShuffleBaseline, FindingSeverity.Warning,
                string.Create(Inv, $"The model learns shuffled labels almost as easily as the real ones ({fakeDrop / realDrop:P0} of the real labels' average loss drop): it can memorise training images instead of learning what the classes have in common."),
                [
                    string.Create(Inv, $"real labels: loss {real.First:0.###} -> {real.Last:0.###} (mean {real.MeanLoss:0.###}), accuracy {real.Accuracy:P0} after {real.Steps} steps on {batch.Count} training images"),
                    string.Create(Inv, $"shuffled labels: loss {fake.First:0.###} -> {fake.Last:0.###} (mean {fake.MeanLoss:0.###}), accuracy {fake.Accuracy:P0} after {fake.Steps} steps on the same images"),
                ],
                "Expect training accuracy to say little about validation: use a smaller model or freeze more of the backbone, add augmentation and weight decay, and get more images per class."),
        ];
    }
}
