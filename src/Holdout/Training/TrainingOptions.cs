namespace Holdout.Training;

/// <summary>How <see cref="Trainer"/> optimises a model. Every value has a default that works for transfer learning.</summary>
/// <param name="Optimizer">The optimiser. Defaults to Adam.</param>
/// <param name="WeightDecay">L2 penalty (decoupled for AdamW). Defaults to 0 (0.01 is a good start for AdamW).</param>
/// <param name="Momentum">SGD momentum. Defaults to 0.9.</param>
/// <param name="Loss">The loss. Defaults to softmax cross-entropy.</param>
/// <param name="LabelSmoothing">Cross-entropy label smoothing (0..1). Defaults to 0.</param>
/// <param name="ClassWeights">Per-class loss weights (e.g. inverse frequency for imbalanced data), or null for none.</param>
/// <param name="Seed">Seeds dropout and any other randomness in the loop, per epoch, so a resumed run matches. Defaults to 42.</param>
/// <param name="StopOnNonFiniteLoss">Stop when the training loss becomes NaN or infinite (the learning rate is too high). Defaults to true.</param>
public sealed record TrainingOptions(
    OptimizerKind Optimizer = OptimizerKind.Adam,
    double WeightDecay = 0.0,
    double Momentum = 0.9,
    LossKind Loss = LossKind.CrossEntropy,
    double LabelSmoothing = 0.0,
    float[]? ClassWeights = null,
    long Seed = 42,
    bool StopOnNonFiniteLoss = true);
