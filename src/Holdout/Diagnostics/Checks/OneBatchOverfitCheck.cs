using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// one-batch-overfit: can the setup fit one small batch (does the pipeline learn at all)? When only the head of a
/// Holdout classifier trains on a fixed backbone, the head trains on the batch's features computed once, exactly as
/// training would update it, instead of passing the images through the backbone at every step.
/// </summary>
internal sealed class OneBatchOverfitCheck() : PipelineCheck(FindingCodes.OneBatchOverfit, deep: true)
{
    /// <summary>Images in the batch the setup must fit.</summary>
    public const int BatchImages = 8;

    /// <summary>What the probe training did.</summary>
    /// <param name="Images">Images in the batch.</param>
    /// <param name="Fit">The probe training (null when no step could run).</param>
    /// <param name="Target">The loss a working pipeline reaches: a tenth of ln(C).</param>
    /// <param name="TrainableParameters">Trainable parameters (0: nothing can learn).</param>
    /// <param name="TotalParameterTensors">Parameter tensors in the model.</param>
    /// <param name="OnFeatures">True when the head trained on features computed once (fixed backbone).</param>
    /// <param name="Failure">The engine's message when a step failed, else null.</param>
    internal sealed record Measurement(int Images, FitResult? Fit, double Target, long TrainableParameters, int TotalParameterTensors, bool OnFeatures, string? Failure)
    {
        /// <summary>Fitted: the loss is near zero, or every image is right and the loss fell by half or more.</summary>
        public bool Fitted => Fit is { } f && (f.Last < Target || (f.Accuracy >= 1 && f.Last < 0.5 * f.First));
    }

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var m = Measure(probe);
        var observed = m.Fit is { } f
            ? string.Create(Inv, $"loss {f.First:0.###} -> {f.Last:0.###} in {f.Steps} steps on {m.Images} images{(m.OnFeatures ? " (head on cached features)" : "")}")
            : "no step ran";
        return CheckOutcome.Of(Report(m), observed);
    }

    internal static Measurement Measure(PipelineProbe probe)
    {
        var (setup, options) = (probe.Setup, probe.Options);
        var samples = probe.DeepSamples;
        var count = Math.Min(samples.Count, BatchImages);
        using var snapshot = new ModelSnapshot(setup.Model, parameters: true);
        var tensors = setup.Model.parameters().Count();
        var trainable = setup.Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        if (trainable == 0)
        {
            return new Measurement(count, null, double.NaN, 0, tensors, false, null);
        }
        var head = probe.FixedBackboneHead();
        using var inputs = head is null ? samples.Images.narrow(0, 0, count).to(probe.Device) : probe.DeepFeatures.narrow(0, 0, count).to(probe.Device);
        using var labels = samples.Labels.narrow(0, 0, count).to(probe.Device);
        int columns;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            columns = Math.Max(2, (int)(head ?? setup.Model).forward(inputs).shape[1]);
        }
        var target = 0.1 * Math.Log(columns);
        try
        {
            return new Measurement(count, probe.Fit(inputs, labels, options.OverfitSteps, target, head), target, trainable, tensors, head is not null, null);
        }
        catch (ExternalException e)
        {
            return new Measurement(count, null, target, trainable, tensors, head is not null, e.Message.Split('\n')[0]);
        }
    }

    /// <summary>The finding for a measurement, or null when the batch was fitted.</summary>
    internal static Finding? Report(Measurement m)
    {
        if (m.TrainableParameters == 0)
        {
            return new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Warning, "The model has no trainable parameters: nothing can learn.",
                [string.Create(Inv, $"{m.TotalParameterTensors} parameter tensors, all with requires_grad = false")], "Unfreeze at least the classifier head.");
        }
        if (m.Fit is not { } fit)
        {
            return new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Warning, "A training step on one batch fails.",
                [m.Failure ?? "the engine failed without a message"], "Check that the loss is computed from the model's outputs without detaching them, and that its shapes match.");
        }
        if (m.Fitted)
        {
            return null;
        }
        var where = m.OnFeatures ? " (the head, on the backbone's features of these images)" : "";
        return new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Warning,
            string.Create(Inv, $"The setup cannot fit one batch of {m.Images} images: after {fit.Steps} steps the loss is {fit.Last:0.###} (from {fit.First:0.###}); a working pipeline drives it below {m.Target:0.###}."),
            [
                string.Create(Inv, $"loss {fit.First:0.###} -> {fit.Last:0.###} in {fit.Steps} steps on the same {m.Images} training images{where}; training accuracy on them {fit.Accuracy:P0}; target below {m.Target:0.###} (a tenth of ln C)"),
                string.Create(Inv, $"{m.TrainableParameters:N0} trainable parameters; gradient norm at the first step {fit.GradientNorm:0.###e+0}"),
            ],
            "Look for a pipeline or optimiser bug: a learning rate that is far too low (or too high), labels that do not belong to their images, a loss computed on detached outputs, or the trainable layers frozen.");
    }
}
