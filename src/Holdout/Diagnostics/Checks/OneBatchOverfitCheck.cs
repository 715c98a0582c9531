using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>one-batch-overfit: can the setup fit one small batch (the pipeline learns at all)?</summary>
internal sealed class OneBatchOverfitCheck() : PipelineCheck(FindingCodes.OneBatchOverfit, trains: true)
{
    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var (setup, batch, device, options) = (probe.Setup, probe.TrainBatch, probe.Device, probe.Options);
        var count = Math.Min(batch.Count, 8);
        using var snapshot = new ModelSnapshot(setup.Model, parameters: true);
        var trainable = setup.Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        if (trainable == 0)
        {
            return [new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Error, "The model has no trainable parameters: nothing can learn.",
                [$"{setup.Model.parameters().Count()} parameter tensors, all with requires_grad = false"], "Unfreeze at least the classifier head.")];
        }
        using var images = batch.Images.narrow(0, 0, count).to(device);
        using var labels = batch.Labels.narrow(0, 0, count).to(device);
        var columns = 2;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            columns = Math.Max(2, (int)setup.Model.forward(images).shape[1]);
        }
        var target = 0.1 * Math.Log(columns);
        FitResult fit;
        try
        {
            fit = probe.Fit(images, labels, options.OverfitSteps, target);
        }
        catch (ExternalException e)
        {
            return [new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Error, "A training step on one batch fails.",
                [e.Message.Split('\n')[0]], "Check that the loss is computed from the model's outputs without detaching them, and that its shapes match.")];
        }
        // Fitted: the loss is near zero, or every image is classified right and the loss is still falling fast.
        if (fit.Last < target || (fit.Accuracy >= 1 && fit.Last < 0.5 * fit.First))
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Error,
                string.Create(Inv, $"The setup cannot fit one batch of {count} images: after {fit.Steps} steps the loss is {fit.Last:0.###} (from {fit.First:0.###}); a working pipeline drives it below {target:0.###}."),
                [
                    string.Create(Inv, $"loss {fit.First:0.####} -> {fit.Last:0.####} in {fit.Steps} steps on the same {count} training images; training accuracy on them {fit.Accuracy:P0}"),
                    string.Create(Inv, $"{trainable:N0} trainable parameters; gradient norm at the first step {fit.GradientNorm:0.###e+0}"),
                ],
                "Look for a pipeline or optimiser bug: a learning rate that is far too low (or too high), labels that do not belong to their images, a loss computed on detached outputs, or the trainable layers frozen."),
        ];
    }
}
