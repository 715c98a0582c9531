namespace Holdout.Training;

/// <summary>
/// The learning-rate multiplier of a schedule at a given step: a pure function of (step, total steps), so a resumed
/// run continues exactly where it stopped.
/// </summary>
internal static class LearningRateSchedule
{
    /// <summary>fastai's one-cycle: fraction of steps spent warming up.</summary>
    public const double OneCycleWarmup = 0.25;

    /// <summary>fastai's one-cycle: the start learning rate is lr / this.</summary>
    public const double OneCycleStartDivisor = 25;

    /// <summary>fastai's one-cycle: the final learning rate is lr / (start divisor x this).</summary>
    public const double OneCycleFinalDivisor = 1e4;

    /// <summary>The multiplier (0..1] of the peak learning rate at <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static double Factor(ScheduleKind kind, long step, long totalSteps)
    {
        if (totalSteps <= 1) return 1.0;
        double t = Math.Clamp(step / (double)(totalSteps - 1), 0, 1);
        switch (kind)
        {
            case ScheduleKind.Constant:
                return 1.0;
            case ScheduleKind.Cosine:
                return Cosine(1.0, 0.0, t);
            case ScheduleKind.OneCycle:
                double start = 1.0 / OneCycleStartDivisor;
                double end = start / OneCycleFinalDivisor;
                return t < OneCycleWarmup
                    ? Cosine(start, 1.0, t / OneCycleWarmup)
                    : Cosine(1.0, end, (t - OneCycleWarmup) / (1 - OneCycleWarmup));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown schedule");
        }
    }

    private static double Cosine(double from, double to, double t) => to + (from - to) * (1 + Math.Cos(Math.PI * t)) / 2;
}
