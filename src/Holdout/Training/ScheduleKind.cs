namespace Holdout.Training;

/// <summary>How the learning rate moves over a training phase.</summary>
public enum ScheduleKind
{
    /// <summary>
    /// One-cycle (fastai's default): cosine warm-up from lr/25 to lr over the first 25% of steps, then cosine
    /// annealing to lr/25e4. The default.
    /// </summary>
    OneCycle,

    /// <summary>Cosine annealing from lr to 0 over the phase.</summary>
    Cosine,

    /// <summary>The same learning rate throughout.</summary>
    Constant,
}
