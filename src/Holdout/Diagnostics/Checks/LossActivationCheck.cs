using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>loss-activation-mismatch: does the loss expect what the model outputs (logits or probabilities, softmax or sigmoid)?</summary>
internal sealed class LossActivationCheck() : PipelineCheck(FindingCodes.LossActivationMismatch, trains: false)
{
    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var (setup, batch, device) = (probe.Setup, probe.ValidationBatch, probe.Device);
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        setup.Model.eval();
        var outputs = setup.Model.forward(batch.Images.to(device)).cpu();
        var labels = batch.Labels;
        var columns = (int)outputs.shape[1];
        var (kind, outputEvidence) = Outputs.Classify(outputs);
        if (columns < 2)
        {
            return [];
        }
        var perfect = nn.functional.one_hot(labels, columns).to_type(ScalarType.Float32);
        var onPerfect = Outputs.TryLoss(setup.Loss, perfect, labels);
        var logits = randn([labels.shape[0], columns], generator: new torch.Generator(1234)) * 4;
        var onLogits = Outputs.TryLoss(setup.Loss, logits, labels);
        var uniform = full([labels.shape[0], (long)columns], 1.0 / columns);
        var other = (labels + 1) % columns;
        var bumped = uniform.clone().scatter_(1, other.unsqueeze(1), full([labels.shape[0], 1L], 0.9));
        var onUniform = Outputs.TryLoss(setup.Loss, uniform, labels);
        var onBumped = Outputs.TryLoss(setup.Loss, bumped, labels);

        var takesLogits = onPerfect is > 0.1;
        var needsProbabilities = onLogits is null || !double.IsFinite(onLogits.Value) || onLogits < 0 || onPerfect is < 0.05;
        var elementwise = onUniform is { } u && onBumped is { } b && Math.Abs(b - u) > 1e-3;
        var lossEvidence = new List<string>
        {
            outputEvidence,
            onPerfect is { } p
                ? string.Create(Inv, $"the loss of perfect one-hot predictions is {p:0.####}: {(p > 0.1 ? "the loss applies its own softmax/sigmoid (it expects logits)" : "the loss takes probabilities")}")
                : "the loss fails on one-hot predictions",
            onLogits is { } l && double.IsFinite(l)
                ? string.Create(Inv, $"the loss of random logits (values from -12 to 12) is {l:0.###}")
                : "the loss fails or returns NaN on logits outside [0, 1]: it expects probabilities",
        };
        if (!takesLogits && onUniform is { } u2 && onBumped is { } b2)
        {
            lossEvidence.Add(string.Create(Inv,
                $"raising a wrong-class output from {1.0 / columns:0.##} to 0.9 changes the loss from {u2:0.###} to {b2:0.###}: {(elementwise ? "each output is scored as its own yes/no question (binary cross-entropy)" : "only the true class's probability counts (categorical cross-entropy)")}"));
        }

        if (kind == OutputKind.Softmax && takesLogits)
        {
            return [new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Error,
                "The model already outputs probabilities (softmax) and the loss applies softmax again: gradients are squashed and training stalls.",
                lossEvidence, "Remove the softmax from the model's last layer and keep the logits loss (cross_entropy), or keep the softmax and use a loss on probabilities (nll_loss of log-probabilities).")];
        }
        if (kind == OutputKind.Softmax && elementwise && !takesLogits)
        {
            var severity = columns > 2 ? FindingSeverity.Error : FindingSeverity.Warning;
            var consequence = columns > 2
                ? "with more than two classes this optimises the wrong objective"
                : "for two classes the loss equals cross-entropy, but 'accuracy' computed the binary way (per output) reads high, and the setup breaks as soon as a class is added";
            return [new Finding(FindingCodes.LossActivationMismatch, severity,
                $"Softmax outputs are trained with binary cross-entropy: the classes exclude each other but the loss scores each of the {columns} outputs as an independent yes/no; {consequence}.",
                lossEvidence, "Remove the softmax from the model and train its logits with categorical cross-entropy (cross_entropy(logits, labels)); for two classes a single output with binary_cross_entropy_with_logits also works.")];
        }
        if (kind == OutputKind.Logits && needsProbabilities && !takesLogits)
        {
            return [new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Error,
                "The model outputs raw scores (logits) but the loss expects probabilities: the loss is meaningless or fails.",
                lossEvidence, "Use a loss that takes logits (cross_entropy or binary_cross_entropy_with_logits), or end the model with softmax/sigmoid.")];
        }
        if (kind == OutputKind.Sigmoid && !elementwise && !takesLogits)
        {
            return [new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Warning,
                "The model outputs independent sigmoid probabilities but the loss is categorical: outputs are not pushed to exclude each other.",
                lossEvidence, "For one class per image, output logits and use cross_entropy; for several labels per image, use binary cross-entropy.")];
        }
        return [];
    }
}
