using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// How a model is trained: a sequence of <see cref="RecipePhase"/>s, each a composition of public steps (freeze or
/// unfreeze, learning rates per parameter group, a schedule). <see cref="FineTune"/>, <see cref="Frozen"/> and
/// <see cref="Scratch"/> are the recipes <c>holdout train</c> offers; <see cref="RunSetup.Fit"/> runs any of them.
/// </summary>
public abstract class Recipe
{
    /// <summary>Creates a recipe of the given phases.</summary>
    /// <param name="phases">The phases, in order.</param>
    protected Recipe(IReadOnlyList<RecipePhase> phases) => Phases = phases;

    /// <summary>Which of <c>holdout train</c>'s recipes this is.</summary>
    public abstract RecipeKind Kind { get; }

    /// <summary>The phases, in order.</summary>
    public IReadOnlyList<RecipePhase> Phases { get; }

    /// <summary>The epochs of all phases.</summary>
    public int TotalEpochs => Phases.Sum(p => p.Epochs);

    /// <summary>The epochs of the phases before phase <paramref name="phase"/> (0-based).</summary>
    /// <param name="phase">A phase index.</param>
    public int EpochsBefore(int phase) => Phases.Take(phase).Sum(p => p.Epochs);

    /// <summary>Checks an epoch count and returns it.</summary>
    /// <exception cref="HoldoutException">Fewer than one epoch.</exception>
    protected static int AtLeastOneEpoch(int epochs) =>
        epochs >= 1 ? epochs : throw new HoldoutException($"--epochs must be at least 1, got {epochs}.");

    /// <summary>The recipe <paramref name="options"/> ask for, with their epochs, learning rate and schedule.</summary>
    /// <param name="options">The run's options.</param>
    public static Recipe For(TrainRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.EffectiveRecipe switch
        {
            RecipeKind.FineTune => new FineTune(options.EffectiveEpochs, options.FreezeEpochs, options.EffectiveLearningRate, options.LearningRateMultiplier, options.Schedule,
                probe: options.Probe),
            RecipeKind.Frozen => new Frozen(options.EffectiveEpochs, options.EffectiveLearningRate, options.Schedule,
                probe: options.Probe && !Imaging.AugmentationOptions.Preset(options.Augment).IsEnabled && options.EffectiveBatchNorm != Models.BatchNormPolicy.TrainBatchNorm),
            _ => new Scratch(options.EffectiveEpochs, options.EffectiveLearningRate, options.Schedule),
        };
    }
}
