using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Only the head trains; the backbone stays frozen (and its BatchNorm layers in evaluation mode unless
/// <see cref="TrainRunOptions.TrainBatchNorm"/>). Without augmentation <see cref="RunSetup"/> computes the backbone's
/// features once and trains the head on them, so each further epoch costs almost nothing.
/// </summary>
/// <param name="epochs">Epochs. Defaults to 5.</param>
/// <param name="learningRate">The head's peak learning rate. Defaults to 1e-3.</param>
/// <param name="schedule">The schedule. Defaults to one-cycle.</param>
/// <exception cref="HoldoutException">Fewer than one epoch.</exception>
public sealed class Frozen(int epochs = 5, double learningRate = 1e-3, ScheduleKind schedule = ScheduleKind.OneCycle)
    : Recipe([new RecipePhase("head, backbone frozen", AtLeastOneEpoch(epochs), FrozenBackbone: true, model => LearningRates.Uniform(model, learningRate), schedule)])
{
    /// <inheritdoc/>
    public override RecipeKind Kind => RecipeKind.Frozen;
}
