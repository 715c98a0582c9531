using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>loss-activation-mismatch: does the loss expect what the model outputs (logits or probabilities, softmax or sigmoid)?</summary>
internal sealed class LossActivationCheck() : PipelineCheck(FindingCodes.LossActivationMismatch, deep: false)
{
    /// <summary>What the model outputs and how the loss responds to known inputs.</summary>
    /// <param name="Kind">What the outputs look like.</param>
    /// <param name="OutputEvidence">The observation behind <paramref name="Kind"/>, in words.</param>
    /// <param name="Columns">Outputs per image.</param>
    /// <param name="OnPerfect">The loss of perfect one-hot predictions (null when it fails).</param>
    /// <param name="OnLogits">The loss of random logits from about -12 to 12 (null when it fails).</param>
    /// <param name="OnUniform">The loss of uniform probabilities.</param>
    /// <param name="OnBumped">The loss when one wrong class's probability is raised to 0.9.</param>
    internal sealed record Measurement(OutputKind Kind, string OutputEvidence, int Columns, double? OnPerfect, double? OnLogits, double? OnUniform, double? OnBumped)
    {
        public bool TakesLogits => OnPerfect is > 0.1;

        public bool NeedsProbabilities => OnLogits is null || !double.IsFinite(OnLogits.Value) || OnLogits < 0 || OnPerfect is < 0.05;

        public bool Elementwise => OnUniform is { } u && OnBumped is { } b && Math.Abs(b - u) > 1e-3;
    }

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var m = Measure(probe);
        return m.Columns < 2 ? CheckOutcome.Nothing
            : CheckOutcome.Of(Report(m), $"outputs look like {m.Kind.ToString().ToLowerInvariant()}; the loss {(m.TakesLogits ? "applies its own activation" : "takes probabilities")}");
    }

    internal static Measurement Measure(PipelineProbe probe)
    {
        var (setup, batch) = (probe.Setup, probe.ValidationBatch);
        using var scope = NewDisposeScope();
        var outputs = probe.Outputs(batch, trainMode: false);
        var labels = batch.Labels;
        var columns = (int)outputs.shape[1];
        var (kind, outputEvidence) = Outputs.Classify(outputs);
        if (columns < 2)
        {
            return new Measurement(kind, outputEvidence, columns, null, null, null, null);
        }
        var perfect = nn.functional.one_hot(labels, columns).to_type(ScalarType.Float32);
        var logits = randn([labels.shape[0], columns], generator: new torch.Generator(1234)) * 4;
        var uniform = full([labels.shape[0], (long)columns], 1.0 / columns);
        var other = (labels + 1) % columns;
        var bumped = uniform.clone().scatter_(1, other.unsqueeze(1), full([labels.shape[0], 1L], 0.9));
        return new Measurement(kind, outputEvidence, columns, Outputs.TryLoss(setup.Loss, perfect, labels), Outputs.TryLoss(setup.Loss, logits, labels),
            Outputs.TryLoss(setup.Loss, uniform, labels), Outputs.TryLoss(setup.Loss, bumped, labels));
    }

    /// <summary>The finding for a measurement, or null when the loss suits the outputs.</summary>
    internal static Finding? Report(Measurement m)
    {
        var evidence = new List<string>
        {
            m.OutputEvidence,
            m.OnPerfect is { } p
                ? string.Create(Inv, $"the loss of perfect one-hot predictions is {p:0.####}: {(p > 0.1 ? "the loss applies its own softmax/sigmoid (it expects logits)" : "the loss takes probabilities")}")
                : "the loss fails on one-hot predictions",
            m.OnLogits is { } l && double.IsFinite(l)
                ? string.Create(Inv, $"the loss of random logits (values from -12 to 12) is {l:0.###}")
                : "the loss fails or returns NaN on logits outside [0, 1]: it expects probabilities",
        };
        if (!m.TakesLogits && m.OnUniform is { } u && m.OnBumped is { } b)
        {
            evidence.Add(string.Create(Inv,
                $"raising a wrong-class output from {1.0 / m.Columns:0.##} to 0.9 changes the loss from {u:0.###} to {b:0.###}: {(m.Elementwise ? "each output is scored as its own yes/no question (binary cross-entropy)" : "only the true class's probability counts (categorical cross-entropy)")}"));
        }
        // None of these makes the validation numbers wrong (they measure what the model does); they make it learn
        // badly or not at all, so they are warnings.
        if (m.Kind == OutputKind.Softmax && m.TakesLogits)
        {
            return new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Warning,
                "The model already outputs probabilities (softmax) and the loss applies softmax again: gradients are squashed and training stalls.",
                evidence, "Remove the softmax from the model's last layer and keep the logits loss (cross_entropy), or keep the softmax and use a loss on probabilities (nll_loss of log-probabilities).");
        }
        if (m.Kind == OutputKind.Softmax && m.Elementwise && !m.TakesLogits)
        {
            var consequence = m.Columns > 2
                ? "with more than two classes this optimises the wrong objective"
                : "for two classes the loss equals cross-entropy, but 'accuracy' computed the binary way (per output) reads high, and the setup breaks as soon as a class is added";
            return new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Warning,
                string.Create(Inv, $"Softmax outputs are trained with binary cross-entropy: the classes exclude each other but the loss scores each of the {m.Columns} outputs as an independent yes/no; {consequence}."),
                evidence, "Remove the softmax from the model and train its logits with categorical cross-entropy (cross_entropy(logits, labels)); for two classes a single output with binary_cross_entropy_with_logits also works.");
        }
        if (m.Kind == OutputKind.Logits && m.NeedsProbabilities && !m.TakesLogits)
        {
            return new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Warning,
                "The model outputs raw scores (logits) but the loss expects probabilities: the loss is meaningless or fails.",
                evidence, "Use a loss that takes logits (cross_entropy or binary_cross_entropy_with_logits), or end the model with softmax/sigmoid.");
        }
        if (m.Kind == OutputKind.Sigmoid && !m.Elementwise && !m.TakesLogits)
        {
            return new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Warning,
                "The model outputs independent sigmoid probabilities but the loss is categorical: outputs are not pushed to exclude each other.",
                evidence, "For one class per image, output logits and use cross_entropy; for several labels per image, use binary cross-entropy.");
        }
        return null;
    }
}
