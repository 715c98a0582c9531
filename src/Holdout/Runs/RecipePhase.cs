using Holdout.Models;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// One phase of a <see cref="Recipe"/>: how many epochs, whether the backbone is frozen, and which learning rate each
/// parameter group gets. <see cref="Prepare"/> applies it to a model and gives the <see cref="TrainingPhase"/> that
/// <see cref="Trainer.Fit"/> trains.
/// </summary>
/// <param name="Name">Shown in logs, e.g. <c>head, backbone frozen</c>.</param>
/// <param name="Epochs">Epochs of the phase.</param>
/// <param name="FrozenBackbone">Freeze the whole backbone (only the head trains) or unfreeze every layer.</param>
/// <param name="Groups">The parameter groups and their peak learning rates, e.g. <see cref="LearningRates.Uniform"/>
/// or <see cref="LearningRates.Discriminative"/>, from the model once frozen or unfrozen.</param>
/// <param name="Schedule">How the learning rate moves over the phase. Defaults to one-cycle.</param>
public sealed record RecipePhase(string Name, int Epochs, bool FrozenBackbone, Func<ImageClassifier, IReadOnlyList<ParameterGroup>> Groups,
    ScheduleKind Schedule = ScheduleKind.OneCycle)
{
    /// <summary>Freezes or unfreezes <paramref name="model"/> for this phase and returns what to train.</summary>
    /// <param name="model">The classifier.</param>
    public TrainingPhase Prepare(ImageClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (FrozenBackbone) model.FreezeBackbone();
        else model.Unfreeze();
        return new TrainingPhase(Name, Epochs, Groups(model), Schedule);
    }
}
