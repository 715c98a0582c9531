using Holdout.Training;

namespace Holdout.Runs;

/// <summary>Every layer trains from random initialisation as one parameter group. The default without pretrained weights.</summary>
/// <param name="epochs">Epochs. Defaults to 5.</param>
/// <param name="learningRate">The peak learning rate. Defaults to 2e-3.</param>
/// <param name="schedule">The schedule. Defaults to one-cycle.</param>
/// <exception cref="HoldoutException">Fewer than one epoch.</exception>
public sealed class Scratch(int epochs = 5, double learningRate = 2e-3, ScheduleKind schedule = ScheduleKind.OneCycle)
    : Recipe([new RecipePhase("all layers", AtLeastOneEpoch(epochs), FrozenBackbone: false, model => LearningRates.Single(model, learningRate), schedule)])
{
    /// <inheritdoc/>
    public override RecipeKind Kind => RecipeKind.Scratch;
}
