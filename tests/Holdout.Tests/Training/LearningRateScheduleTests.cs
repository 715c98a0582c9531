using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

public sealed class LearningRateScheduleTests
{
    [Fact]
    public void Should_warm_up_then_anneal_in_one_cycle()
    {
        // Given a one-cycle schedule of 101 steps; When sampled; Then it starts at 1/25, peaks at 25%, ends near 0
        Assert.Equal(1.0 / 25, LearningRateSchedule.Factor(ScheduleKind.OneCycle, 0, 101), 9);
        Assert.Equal(1.0, LearningRateSchedule.Factor(ScheduleKind.OneCycle, 25, 101), 9);
        Assert.Equal(1.0 / 25 / 1e4, LearningRateSchedule.Factor(ScheduleKind.OneCycle, 100, 101), 12);
        Assert.True(LearningRateSchedule.Factor(ScheduleKind.OneCycle, 10, 101) < LearningRateSchedule.Factor(ScheduleKind.OneCycle, 20, 101));
        Assert.True(LearningRateSchedule.Factor(ScheduleKind.OneCycle, 60, 101) > LearningRateSchedule.Factor(ScheduleKind.OneCycle, 80, 101));
    }

    [Fact]
    public void Should_follow_a_cosine_and_a_constant_schedule()
    {
        Assert.Equal(1.0, LearningRateSchedule.Factor(ScheduleKind.Cosine, 0, 11), 9);
        Assert.Equal(0.5, LearningRateSchedule.Factor(ScheduleKind.Cosine, 5, 11), 9);
        Assert.Equal(0.0, LearningRateSchedule.Factor(ScheduleKind.Cosine, 10, 11), 9);
        Assert.Equal(1.0, LearningRateSchedule.Factor(ScheduleKind.Constant, 7, 11));
    }
}
