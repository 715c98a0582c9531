using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// init-loss: is the loss at initialisation what predicting the class priors gives (the training split's class shares
/// when <see cref="PipelineSetup.TrainingClassCounts"/> are known, else uniform: ln C)?
/// </summary>
internal sealed class InitLossCheck() : PipelineCheck(FindingCodes.InitLoss, deep: false)
{
    /// <summary>What the check measured on one training batch.</summary>
    /// <param name="Loss">The setup's loss on the model's outputs (NaN when not a number; null when it cannot be computed).</param>
    /// <param name="Expected">The same loss on predictions that equal the priors, on the same labels.</param>
    /// <param name="Images">Training images in the batch.</param>
    /// <param name="Classes">Classes (model outputs; 2 for a single output).</param>
    /// <param name="Shares">The training split's class shares, or null when unknown (uniform expected).</param>
    /// <param name="Entropy">The entropy of <paramref name="Shares"/> (ln C when uniform).</param>
    /// <param name="LargestOutput">The largest output magnitude.</param>
    internal sealed record Measurement(double? Loss, double Expected, int Images, int Classes, IReadOnlyList<double>? Shares, double Entropy, double LargestOutput)
    {
        /// <summary>How far the loss may be from <see cref="Expected"/>: half of it plus 0.2 (a random head's spread).</summary>
        public double Tolerance => 0.5 * Expected + 0.2;
    }

    public override bool AppliesTo(PipelineProbe probe) => !probe.Setup.Trained;

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var measurement = Measure(probe);
        var observed = measurement.Loss is { } loss
            ? string.Create(Inv, $"loss {loss:0.###}, priors give {measurement.Expected:0.###}")
            : "loss not computable";
        return CheckOutcome.Of(Report(measurement), observed);
    }

    internal static Measurement Measure(PipelineProbe probe)
    {
        var (setup, batch) = (probe.Setup, probe.TrainBatch);
        using var scope = NewDisposeScope();
        var outputs = probe.Outputs(batch, trainMode: true);
        var columns = (int)outputs.shape[1];
        var classes = Math.Max(2, columns);
        var labels = batch.Labels;
        var counts = setup.TrainingClassCounts is { } c && c.Count == classes && c.Sum() > 0 ? c : null;
        var shares = counts?.Select(n => Math.Max(n / (double)counts.Sum(), 1e-4)).ToArray();
        var priors = shares ?? Enumerable.Repeat(1.0 / classes, classes).ToArray();
        var entropy = -priors.Sum(p => p * Math.Log(p));
        var loss = Outputs.TryLoss(setup.Loss, outputs, labels);
        var expected = Outputs.TryLoss(setup.Loss, AsPriorOutputs(priors, Outputs.Classify(outputs).Kind, columns, batch.Count), labels)
            ?? -labels.data<long>().ToArray().Average(y => Math.Log(priors[(int)Math.Clamp(y, 0, classes - 1)]));
        return new Measurement(loss, expected, batch.Count, classes, shares, entropy, outputs.abs().max().item<float>());
    }

    /// <summary>Predictions equal to <paramref name="priors"/>, in the form the model outputs (log-priors as logits, or probabilities).</summary>
    private static Tensor AsPriorOutputs(double[] priors, OutputKind kind, int columns, int rows)
    {
        var row = columns == 1
            ? [kind == OutputKind.Logits ? (float)Math.Log(priors[1] / priors[0]) : (float)priors[1]]
            : priors.Select(p => kind == OutputKind.Logits ? (float)Math.Log(p) : (float)p).ToArray();
        return tensor(row).reshape(1, row.Length).expand(rows, row.Length).contiguous();
    }

    /// <summary>The finding for a measurement, or null when the loss is where the priors put it.</summary>
    internal static Finding? Report(Measurement m)
    {
        const string fix = "Start the last layer with zero weights and a bias of log(class share) (Holdout's heads do: ImageClassifier.InitialiseHead), check the input scale, and check the loss is averaged, not summed.";
        if (m.Loss is not { } loss)
        {
            return new Finding(FindingCodes.InitLoss, FindingSeverity.Warning, "The loss cannot be computed on the model's outputs for a training batch.",
                [string.Create(Inv, $"loss(model(images), labels) failed on a batch of {m.Images} training images")],
                "Check that the loss takes (outputs, int64 class labels) and matches the model's output shape.");
        }
        if (!double.IsFinite(loss))
        {
            return new Finding(FindingCodes.InitLoss, FindingSeverity.Warning, "The loss at initialisation is not a number: training cannot start.",
                [string.Create(Inv, $"initial loss {loss} on a batch of {m.Images} training images")], "Check the input for NaN/inf values and the loss for log(0).");
        }
        if (Math.Abs(loss - m.Expected) <= m.Tolerance)
        {
            return null;
        }
        var uniform = m.Shares is null;
        var isLnC = uniform && Math.Abs(m.Expected - Math.Log(m.Classes)) < 5e-4;
        var reference = uniform
            ? string.Create(Inv, $"{m.Expected:0.###}{(isLnC ? $" = ln({m.Classes})" : "")}, what this loss gives for uniform predictions")
            : string.Create(Inv, $"{m.Expected:0.###}, what this loss gives for predicting the training split's class shares");
        var priorsLine = uniform
            ? string.Create(Inv, $"predicting every class with probability 1/{m.Classes} scores {m.Expected:0.###} with the same loss on the same images{(isLnC ? $" (ln({m.Classes}))" : "")}")
            : string.Create(Inv, $"predicting the class shares {Format(m.Shares!)} scores {m.Expected:0.###} with the same loss on the same images (over the whole split, their entropy: {m.Entropy:0.###})");
        return new Finding(FindingCodes.InitLoss, FindingSeverity.Warning,
            string.Create(Inv, $"The loss at initialisation is {loss:0.###}, far from {reference}: the model starts confidently {(loss > m.Expected ? "wrong" : "right")}."),
            [
                string.Create(Inv, $"initial loss {loss:0.###} on {m.Images} training images in train mode"),
                priorsLine,
                string.Create(Inv, $"allowed difference {m.Tolerance:0.###}; largest output magnitude {m.LargestOutput:0.###}"),
            ],
            fix);
    }

    private static string Format(IReadOnlyList<double> shares) => "[" + string.Join(", ", shares.Select(s => s.ToString("0.###", Inv))) + "]";
}
