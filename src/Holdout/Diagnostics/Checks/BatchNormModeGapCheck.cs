using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// bn-mode-gap: is the model validated (eval mode) the model trained (train mode)? Compares the features the last
/// layer reads (<see cref="ModelFeatures"/>) for the same validation images in both modes, and watches whether the
/// BatchNorm layers that use batch statistics while training update their moving statistics. A new head starts at
/// the class priors, so its outputs alone would hide the gap.
/// </summary>
internal sealed class BatchNormModeGapCheck() : PipelineCheck(FindingCodes.BatchNormModeGap, deep: false)
{
    /// <summary>The mean relative feature difference from which the two modes count as different models.</summary>
    public const double GapThreshold = 0.1;

    /// <summary>What the check measured on one validation batch.</summary>
    /// <param name="Images">Validation images compared.</param>
    /// <param name="FeatureSource">Which features, in words.</param>
    /// <param name="FeatureCount">Features per image.</param>
    /// <param name="RelativeDifference">Mean over images of |train-mode - eval-mode| / |eval-mode| of the features.</param>
    /// <param name="Cosine">Mean cosine similarity of each image's train-mode and eval-mode features.</param>
    /// <param name="Norms">BatchNorm layers in the model.</param>
    /// <param name="TrainModeNorms">Those that use batch statistics when the model trains.</param>
    /// <param name="StaleNorms">Those of them whose moving statistics did not change in a training-mode pass.</param>
    /// <param name="ProbeRightInTrainMode">Images a linear probe fitted to the train-mode features classifies right on them.</param>
    /// <param name="ProbeRightInEvalMode">Images the same head classifies right on their eval-mode features.</param>
    /// <param name="Trained">Whether the model was already trained (moving statistics should then match the data).</param>
    internal sealed record Measurement(int Images, string FeatureSource, int FeatureCount, double RelativeDifference, double Cosine,
        int Norms, int TrainModeNorms, int StaleNorms, int ProbeRightInTrainMode, int ProbeRightInEvalMode, bool Trained);

    public override CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken)
    {
        if (probe.ValidationBatch.Count < 2)
        {
            return CheckOutcome.Nothing;
        }
        var m = Measure(probe);
        return CheckOutcome.Of(Report(m),
            string.Create(Inv, $"features differ by {m.RelativeDifference:0.###} between modes; {m.StaleNorms} of {m.TrainModeNorms} train-mode BatchNorm layers never update"));
    }

    internal static Measurement Measure(PipelineProbe probe)
    {
        var (setup, batch, device) = (probe.Setup, probe.ValidationBatch, probe.Device);
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        var images = batch.Images.to(device);
        setup.Model.eval();
        var evaluated = ModelFeatures.Of(setup.Model, images).cpu().to_type(ScalarType.Float32);
        setup.Model.train();
        PipelineProbe.DropoutOff(setup.Model);
        var norms = ModelSnapshot.AllModules(setup.Model).OfType<BatchNorm>().ToList();
        var trainMode = norms.Where(n => n.training && n.running_mean is not null).ToList();
        var before = trainMode.Select(n => (Mean: n.running_mean!.clone(), Var: n.running_var!.clone())).ToList();
        var trained = ModelFeatures.Of(setup.Model, images).cpu().to_type(ScalarType.Float32);
        var stale = trainMode.Where((n, i) => n.running_mean!.allclose(before[i].Mean, 0, 0) && n.running_var!.allclose(before[i].Var, 0, 0)).Count();
        var relative = ((trained - evaluated).norm(1) / evaluated.norm(1).clamp_min(1e-12)).mean().item<float>();
        var cosine = nn.functional.cosine_similarity(trained, evaluated, 1).mean().item<float>();
        var (rightTrain, rightEval) = ProbeHead(trained, evaluated, batch.Labels);
        return new Measurement(batch.Count, ModelFeatures.Describe(setup.Model), (int)evaluated.shape[1], relative, cosine,
            norms.Count, trainMode.Count, stale, rightTrain, rightEval, setup.Trained);
    }

    /// <summary>
    /// Fits Holdout's linear probe (<see cref="HeldOutProbe.Fit"/>) to the train-mode features and counts the images it
    /// classifies right on them and on the eval-mode features: the effect of the gap on a head trained in train mode.
    /// </summary>
    private static (int TrainMode, int EvalMode) ProbeHead(Tensor trainMode, Tensor evalMode, Tensor labels)
    {
        var y = labels.data<long>().ToArray();
        var classes = (int)Math.Max(2, y.Max() + 1);
        using var head = HeldOutProbe.Fit(trainMode.nan_to_num(), y, classes);
        int Right(Tensor inputs) => HeldOutProbe.Predict(head, inputs.nan_to_num()).Where((p, i) => p == y[i]).Count();
        return (Right(trainMode), Right(evalMode));
    }

    /// <summary>The finding for a measurement, or null when the modes agree or the statistics will catch up.</summary>
    internal static Finding? Report(Measurement m)
    {
        var gap = m.RelativeDifference >= GapThreshold || double.IsNaN(m.RelativeDifference);
        if (!gap || (m.StaleNorms == 0 && !m.Trained))
        {
            return null;
        }
        var evidence = new List<string>
        {
            string.Create(Inv, $"on {m.Images} validation images with dropout off, {m.FeatureSource} ({m.FeatureCount} per image) differ by {m.RelativeDifference:0.###} of their size between train mode and eval mode (mean cosine similarity {m.Cosine:0.###}); from {GapThreshold:0.##} the two modes count as different models"),
            string.Create(Inv, $"a linear probe fitted to the train-mode features classifies {m.ProbeRightInTrainMode} of {m.Images} right on them and {m.ProbeRightInEvalMode} of {m.Images} on the eval-mode features of the same images"),
            string.Create(Inv, $"{m.Norms} BatchNorm layers; {m.TrainModeNorms} use batch statistics when the model trains, and {m.StaleNorms} of those did not change their moving statistics in a training-mode pass"),
        };
        if (m.StaleNorms > 0)
        {
            return new Finding(FindingCodes.BatchNormModeGap, FindingSeverity.Error,
                string.Create(Inv, $"{m.StaleNorms} of {m.TrainModeNorms} BatchNorm layers normalise with batch statistics while training but never update the moving statistics used at evaluation, and the features differ by {m.RelativeDifference:0.###} between the two modes: the model validated is not the model trained."),
                evidence,
                "Keep frozen BatchNorm layers in eval mode while training (Holdout's default: FrozenBatchNorm = FrozenStaysInEval), or let them update their moving statistics (momentum > 0) when they run in train mode; in Keras call the base model with training=False.");
        }
        return new Finding(FindingCodes.BatchNormModeGap, FindingSeverity.Warning,
            string.Create(Inv, $"After training, the features still differ by {m.RelativeDifference:0.###} between train mode and eval mode: the BatchNorm moving statistics lag the data, so validation scores a slightly different model."),
            evidence,
            "Raise the BatchNorm momentum or train a little longer at a low learning rate so the moving statistics settle, or keep frozen BatchNorm layers in eval mode (FrozenBatchNorm = FrozenStaysInEval).");
    }
}
