namespace Holdout.Training;

/// <summary>Whether a monitored metric improves by going down or up.</summary>
public enum MonitorMode
{
    /// <summary>Infer from the name: accuracy-like metrics (<c>acc</c>, <c>f1</c>, <c>auc</c>) go up, others go down.</summary>
    Auto,

    /// <summary>Lower is better (losses).</summary>
    Min,

    /// <summary>Higher is better (accuracy).</summary>
    Max,
}
