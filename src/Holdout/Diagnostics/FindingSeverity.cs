namespace Holdout.Diagnostics;

/// <summary>How much a <see cref="Finding"/> matters; the doctor exits with 1 when any finding is an error.</summary>
public enum FindingSeverity
{
    /// <summary>The evaluation or the training cannot be trusted until this is fixed.</summary>
    Error,

    /// <summary>Likely to hurt or mislead; worth fixing.</summary>
    Warning,

    /// <summary>Worth knowing; no action needed by itself.</summary>
    Info,
}
