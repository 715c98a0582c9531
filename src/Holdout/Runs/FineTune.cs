using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// Linear probing then fine-tuning (LP-FT, Kumar et al., ICLR 2022), the default recipe with a pretrained backbone:
/// first the head is fitted to convergence on the frozen backbone's features (<see cref="Training.LinearProbe"/>,
/// cached: one backbone pass per image, one history row), then every layer trains for the remaining epochs at half the
/// rate with discriminative learning rates from rate / 2 / <c>learningRateMultiplier</c> at the stem to rate / 2 at the
/// head, starting from that head — so the pretrained features are disturbed less. With <c>probe: false</c> it is
/// fastai's <c>fine_tune</c>: the head trains for <c>freezeEpochs</c> epochs over (augmented) images first.
/// </summary>
/// <example><code>setup.Fit(new FineTune(epochs: 6, learningRate: 1e-3));</code></example>
public sealed class FineTune : Recipe
{
    /// <summary>Creates the recipe.</summary>
    /// <param name="epochs">Total epochs, freeze epochs included. Defaults to 6 (the probe, then five all-layers epochs; see <see cref="TrainRunOptions.EffectiveEpochs"/>).</param>
    /// <param name="freezeEpochs">Epochs that train only the head first. Defaults to 1.</param>
    /// <param name="learningRate">The head's peak learning rate. Defaults to null: 1e-3 (the all-layers phase trains at
    /// half of it; see <see cref="TrainRunOptions.EffectiveLearningRate"/>).</param>
    /// <param name="learningRateMultiplier">How many times lower the earliest layers' rate is in the all-layers phase. Defaults to 100.</param>
    /// <param name="schedule">The schedule of each phase. Defaults to one-cycle.</param>
    /// <param name="probe">The head phase is a linear probe on cached features (one history row); false trains the head
    /// for <paramref name="freezeEpochs"/> epochs over the training images instead. Defaults to true.</param>
    /// <exception cref="HoldoutException">The epochs are not a valid fine-tune plan.</exception>
    public FineTune(int epochs = 6, int freezeEpochs = 1, double? learningRate = null, double learningRateMultiplier = 100, ScheduleKind schedule = ScheduleKind.OneCycle,
        bool probe = true)
        : base(Plan(AtLeastOneEpoch(epochs), freezeEpochs, learningRate ?? 1e-3, learningRateMultiplier, schedule, probe))
    {
    }

    /// <inheritdoc/>
    public override RecipeKind Kind => RecipeKind.FineTune;

    private static RecipePhase[] Plan(int epochs, int freezeEpochs, double learningRate, double learningRateMultiplier, ScheduleKind schedule, bool probe)
    {
        if (probe && freezeEpochs != 1)
            throw new HoldoutException($"--freeze-epochs ({freezeEpochs}) counts head epochs over images, which replace the linear probe. Pass --no-probe with it, or leave --freeze-epochs at 1.");
        if (probe) freezeEpochs = 1;
        if (freezeEpochs < 0 || (freezeEpochs >= epochs && epochs > 1))
            throw new HoldoutException($"--freeze-epochs ({freezeEpochs}) must be 0 or more and less than --epochs ({epochs}) for the fine-tune recipe.");
        if (!(learningRateMultiplier >= 1)) throw new HoldoutException($"--lr-mult must be 1 or more (fastai uses 100), got {learningRateMultiplier}.");
        var head = probe ? RecipePhase.Probe() : new RecipePhase("head, backbone frozen", epochs == 1 ? 1 : freezeEpochs, FrozenBackbone: true,
            model => LearningRates.Uniform(model, learningRate), schedule);
        var all = new RecipePhase("all layers, discriminative lr", epochs - freezeEpochs, FrozenBackbone: false,
            model => LearningRates.Discriminative(model, learningRate / 2, learningRateMultiplier), schedule);
        return epochs == 1 ? [head] : freezeEpochs > 0 ? [head, all] : [all];
    }
}
