using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// fastai's <c>fine_tune</c>: freeze the backbone and train the head for <c>freezeEpochs</c> at the learning rate;
/// then unfreeze and train every layer for the remaining epochs at half the rate, with discriminative learning rates
/// from rate / 2 / <c>learningRateMultiplier</c> at the stem to rate / 2 at the head. The default recipe with a
/// pretrained backbone.
/// </summary>
/// <example><code>setup.Fit(new FineTune(epochs: 5, freezeEpochs: 1, learningRate: 1e-3));</code></example>
public sealed class FineTune : Recipe
{
    /// <summary>Creates the recipe.</summary>
    /// <param name="epochs">Total epochs, freeze epochs included. Defaults to 5.</param>
    /// <param name="freezeEpochs">Epochs that train only the head first. Defaults to 1.</param>
    /// <param name="learningRate">The head's peak learning rate. Defaults to 1e-3.</param>
    /// <param name="learningRateMultiplier">How many times lower the earliest layers' rate is in the all-layers phase. Defaults to 100.</param>
    /// <param name="schedule">The schedule of each phase. Defaults to one-cycle.</param>
    /// <exception cref="HoldoutException">The epochs are not a valid fine-tune plan.</exception>
    public FineTune(int epochs = 5, int freezeEpochs = 1, double learningRate = 1e-3, double learningRateMultiplier = 100, ScheduleKind schedule = ScheduleKind.OneCycle)
        : base(Plan(AtLeastOneEpoch(epochs), freezeEpochs, learningRate, learningRateMultiplier, schedule))
    {
    }

    /// <inheritdoc/>
    public override RecipeKind Kind => RecipeKind.FineTune;

    private static RecipePhase[] Plan(int epochs, int freezeEpochs, double learningRate, double learningRateMultiplier, ScheduleKind schedule)
    {
        if (freezeEpochs < 0 || (freezeEpochs >= epochs && epochs > 1))
            throw new HoldoutException($"--freeze-epochs ({freezeEpochs}) must be 0 or more and less than --epochs ({epochs}) for the fine-tune recipe.");
        if (!(learningRateMultiplier >= 1)) throw new HoldoutException($"--lr-mult must be 1 or more (fastai uses 100), got {learningRateMultiplier}.");
        var head = new RecipePhase("head, backbone frozen", epochs == 1 ? 1 : freezeEpochs, FrozenBackbone: true,
            model => LearningRates.Uniform(model, learningRate), schedule);
        var all = new RecipePhase("all layers, discriminative lr", epochs - freezeEpochs, FrozenBackbone: false,
            model => LearningRates.Discriminative(model, learningRate / 2, learningRateMultiplier), schedule);
        return epochs == 1 ? [head] : freezeEpochs > 0 ? [head, all] : [all];
    }
}
