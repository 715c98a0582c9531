using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Only the head trains; the backbone stays frozen (and its BatchNorm layers in evaluation mode unless
/// <see cref="TrainRunOptions.TrainBatchNorm"/>), so every image goes through it once per run. With
/// <c>probe: true</c> (what <c>holdout train</c> uses without augmentation) the head is fitted to convergence on the
/// cached features (<see cref="Training.LinearProbe"/>, one history row); otherwise it trains for the epochs over
/// (augmented) images, validated on cached features.
/// </summary>
/// <param name="epochs">Epochs over images (ignored by the probe). Defaults to 5.</param>
/// <param name="learningRate">The head's peak learning rate over images. Defaults to 1e-3.</param>
/// <param name="schedule">The schedule over images. Defaults to one-cycle.</param>
/// <param name="probe">Fit the head by the linear probe on cached features. Defaults to false.</param>
/// <exception cref="HoldoutException">Fewer than one epoch.</exception>
public sealed class Frozen(int epochs = 5, double learningRate = 1e-3, ScheduleKind schedule = ScheduleKind.OneCycle, bool probe = false)
    : Recipe([probe
        ? RecipePhase.Probe("head, linear probe on cached features (backbone frozen)")
        : new RecipePhase("head, backbone frozen", AtLeastOneEpoch(epochs), FrozenBackbone: true, model => LearningRates.Uniform(model, learningRate), schedule)])
{
    /// <inheritdoc/>
    public override RecipeKind Kind => RecipeKind.Frozen;
}
