using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>init-loss: is the loss at initialisation near ln(C), as uniform predictions give?</summary>
internal sealed class InitLossCheck() : PipelineCheck(FindingCodes.InitLoss, trains: false)
{
    public override bool AppliesTo(PipelineProbe probe) => !probe.Setup.Trained;

    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var (setup, batch, device) = (probe.Setup, probe.TrainBatch, probe.Device);
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        setup.Model.train();
        var outputs = setup.Model.forward(batch.Images.to(device));
        var columns = Math.Max(2, (int)outputs.shape[1]);
        var loss = Outputs.TryLoss(setup.Loss, outputs, batch.Labels.to(device));
        var expected = Math.Log(columns);
        if (loss is null)
        {
            return [new Finding(FindingCodes.InitLoss, FindingSeverity.Error, "The loss cannot be computed on the model's outputs for a training batch.",
                [$"loss(model(images), labels) failed on a batch of {batch.Count}"], "Check that the loss takes (outputs, int64 class labels) and matches the model's output shape.")];
        }
        if (!double.IsFinite(loss.Value))
        {
            return [new Finding(FindingCodes.InitLoss, FindingSeverity.Error, "The loss at initialisation is not a number.",
                [string.Create(Inv, $"initial loss {loss.Value} on a training batch of {batch.Count}")], "Check the input for NaN/inf values and the loss for log(0).")];
        }
        var tolerance = 0.5 * expected + 0.2;
        if (Math.Abs(loss.Value - expected) <= tolerance)
        {
            return [];
        }
        var logitScale = outputs.abs().max().item<float>();
        return
        [
            new Finding(FindingCodes.InitLoss, FindingSeverity.Warning,
                string.Create(Inv, $"The loss at initialisation is {loss.Value:0.###}, far from ln({columns}) = {expected:0.###} expected from uniform predictions: the model starts confidently {(loss.Value > expected ? "wrong" : "right")}."),
                [
                    string.Create(Inv, $"initial loss {loss.Value:0.####} on {batch.Count} training images in train mode; a classifier that spreads its bets evenly scores ln({columns}) = {expected:0.####}"),
                    string.Create(Inv, $"largest output magnitude {logitScale:0.###}"),
                ],
                "Initialise the last layer with small weights (and bias 0 or the class log-frequencies), check the input scale, and check the loss is averaged, not summed."),
        ];
    }
}
