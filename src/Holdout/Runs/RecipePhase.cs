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
/// <param name="LinearProbe">Fit the head to convergence on the frozen backbone's cached features (<see cref="Training.LinearProbe"/>,
/// one history row) instead of epochs over images. Defaults to false.</param>
public sealed record RecipePhase(string Name, int Epochs, bool FrozenBackbone, Func<ImageClassifier, IReadOnlyList<ParameterGroup>> Groups,
    ScheduleKind Schedule = ScheduleKind.OneCycle, bool LinearProbe = false)
{
    /// <summary>The head phase of LP-FT: the head fitted to convergence on the backbone's cached features, one history row.</summary>
    /// <param name="name">Shown in logs.</param>
    public static RecipePhase Probe(string name = "head, linear probe on cached features") =>
        new(name, 1, FrozenBackbone: true, model => LearningRates.Uniform(model, 0), ScheduleKind.Constant, LinearProbe: true);

    /// <summary>Freezes or unfreezes <paramref name="model"/> for this phase and returns what to train.</summary>
    /// <param name="model">The classifier.</param>
    public TrainingPhase Prepare(ImageClassifier model)
    {
        if (LinearProbe && !FrozenBackbone) throw new HoldoutException("A linear probe trains the head on a frozen backbone's features; its phase must freeze the backbone.");
        ArgumentNullException.ThrowIfNull(model);
        if (FrozenBackbone) model.FreezeBackbone();
        else model.Unfreeze();
        return new TrainingPhase(Name, Epochs, Groups(model), Schedule);
    }
}
