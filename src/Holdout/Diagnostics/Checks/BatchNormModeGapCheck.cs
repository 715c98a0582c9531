using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>bn-mode-gap: does the model predict the same in train mode and eval mode (the frozen-BatchNorm failure)?</summary>
internal sealed class BatchNormModeGapCheck() : PipelineCheck(FindingCodes.BatchNormModeGap, trains: false)
{
    public override IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        var (setup, batch, device) = (probe.Setup, probe.ValidationBatch, probe.Device);
        if (batch.Count < 2)
        {
            return [];
        }
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        var images = batch.Images.to(device);
        setup.Model.eval();
        var evaluated = Outputs.AsProbabilities(setup.Model.forward(images).cpu());
        setup.Model.train();
        var all = ModelSnapshot.AllModules(setup.Model);
        var norms = all.OfType<BatchNorm>().ToList();
        var trainModeNorms = norms.Where(n => n.training).ToList();
        var momentumZero = trainModeNorms.Count(n => n.momentum is 0);
        var frozenNorms = trainModeNorms.Count(n => n.parameters().All(p => !p.requires_grad));
        foreach (var dropout in all.Where(m => m.GetType().Name.Contains("Dropout", StringComparison.Ordinal)))
        {
            dropout.eval();
        }
        var trained = Outputs.AsProbabilities(setup.Model.forward(images).cpu());
        var difference = (trained - evaluated).abs().amax([1]);
        var meanGap = difference.mean().item<float>();
        var changed = trained.argmax(1).ne(evaluated.argmax(1)).to_type(ScalarType.Float32).mean().item<float>();
        var trainSpread = trained.amax([1]).mean().item<float>();
        var evalSpread = evaluated.amax([1]).mean().item<float>();
        var evalClasses = evaluated.argmax(1).unique().Item1.numel();
        // Near-uniform predictions flip their argmax on tiny changes; only a real shift in probabilities counts.
        if (meanGap < 0.1)
        {
            return [];
        }
        var statisticsNeverUpdate = momentumZero > 0 || frozenNorms > 0;
        var evidence = new List<string>
        {
            string.Create(Inv, $"on {batch.Count} validation images with dropout off, {changed:P0} of the predicted classes change between train mode and eval mode; class probabilities differ by {meanGap:0.###} on average (largest per image)"),
            string.Create(Inv, $"mean top probability: {trainSpread:0.###} in train mode, {evalSpread:0.###} in eval mode; eval mode predicts {evalClasses} distinct class(es) for the batch"),
            string.Create(Inv, $"{norms.Count} BatchNorm layers; {trainModeNorms.Count} run in train mode (batch statistics) when the model trains, {frozenNorms} of those are frozen (no trainable parameters), {momentumZero} have momentum 0 (their moving statistics never update)"),
        };
        return
        [
            new Finding(FindingCodes.BatchNormModeGap, statisticsNeverUpdate ? FindingSeverity.Error : FindingSeverity.Warning,
                statisticsNeverUpdate
                    ? "BatchNorm layers normalise with batch statistics while training but with stale moving statistics at evaluation: the model validated is not the model trained."
                    : "The model predicts differently in train mode and eval mode on the same images: its BatchNorm moving statistics do not match this data yet (they should adapt as it trains; if validation lags, check again after training).",
                evidence,
                "Keep frozen BatchNorm layers in eval mode while training (Holdout's default: FrozenBatchNorm = FrozenStaysInEval), or let them update their moving statistics (momentum > 0) when you train them; in Keras call the base model with training=False."),
        ];
    }
}
