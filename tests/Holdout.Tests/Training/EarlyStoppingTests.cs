using Holdout.Training;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class EarlyStoppingTests
{
    // The validation losses of `holdout train samples/beans --epochs 6 --seed 2` (2026-12-03): a fitted probe (epoch 1),
    // then all layers, whose first epochs are worse than the probe until the one-cycle schedule anneals them.
    private static readonly double[] AllLayers = [1.3195, 0.5375, 0.3903, 0.3960, 0.3070];

    [Fact]
    public void Should_count_patience_within_a_phase_so_unfreezing_is_not_stopped_before_the_schedule_anneals()
    {
        // Given patience 3, a probe phase that scored 0.3744 and an all-layers phase that only beats it in its fifth epoch
        using var model = TinyData.Model(1);
        var context = new TrainingContext(model, new TrainingOptions());
        var stopping = new EarlyStopping(patience: 3, restoreBestWeights: false);

        // When the two phases run through the callback
        Epochs(stopping, context, "probe", 1, [0.3744]);
        Epochs(stopping, context, "all layers", 2, AllLayers);

        // Then it did not stop (four epochs did not beat the probe, but each of the first three improved on its own
        // phase), and the best is the last epoch
        Assert.False(context.StopTraining, context.StopReason);
        Assert.Equal(6, stopping.BestEpoch);
        Assert.Equal(0.3070, stopping.Best);
    }

    [Fact]
    public void Should_stop_when_a_phase_stops_improving_on_its_own_best_and_say_which_best()
    {
        // Given patience 2 and an all-layers phase that improves once and then stalls above the probe's score
        using var model = TinyData.Model(1);
        var context = new TrainingContext(model, new TrainingOptions());
        var stopping = new EarlyStopping(patience: 2, restoreBestWeights: false);

        // When the phases run
        Epochs(stopping, context, "probe", 1, [0.3744]);
        Epochs(stopping, context, "all layers", 2, [1.3, 0.54, 0.60, 0.61, 0.62, 0.30]);

        // Then it stopped at the third epoch without a phase improvement, naming the phase's best and the overall best
        Assert.True(context.StopTraining);
        Assert.Equal(6, stopping.StoppedEpoch);
        Assert.Equal(1, stopping.BestEpoch);
        Assert.Equal("early stopping: val_loss did not improve on this phase's best, 0.5400, for 3 epochs (the best: 0.3744, epoch 1)", context.StopReason);
    }

    [Fact]
    public void Should_keep_the_count_of_a_phase_when_resumed_inside_it()
    {
        // Given a run stopped inside its all-layers phase after two epochs without improvement (patience 2)
        using var model = TinyData.Model(1);
        var first = new TrainingContext(model, new TrainingOptions());
        var before = new EarlyStopping(patience: 2, restoreBestWeights: false);
        Epochs(before, first, "probe", 1, [0.3744]);
        Epochs(before, first, "all layers", 2, [0.50, 0.55, 0.56]);
        var state = before.SaveState()!;

        // When a fresh callback restores that state and the same phase continues with one more poor epoch
        var resumed = new TrainingContext(model, new TrainingOptions());
        var after = new EarlyStopping(patience: 2, restoreBestWeights: false);
        after.LoadState(state);
        Epochs(after, resumed, "all layers", 5, [0.57]);

        // Then it stops as the uninterrupted run would (the count was not restarted by the resumed phase's start)
        Assert.Equal(2, before.Wait);
        Assert.True(resumed.StopTraining);
        Assert.Equal(5, after.StoppedEpoch);
        Assert.Equal(0.50, after.PhaseBest);
    }

    private static void Epochs(EarlyStopping stopping, TrainingContext context, string phase, int firstEpoch, double[] valLosses)
    {
        context.Phase = phase;
        stopping.OnTrainBegin(context);
        for (int i = 0; i < valLosses.Length && !context.StopTraining; i++)
        {
            var logs = new EpochLogs(firstEpoch + i) { ["val_loss"] = valLosses[i] };
            context.CompletedEpochs = firstEpoch + i;
            stopping.OnEpochEnd(context, logs);
        }
        stopping.OnTrainEnd(context);
    }
}
