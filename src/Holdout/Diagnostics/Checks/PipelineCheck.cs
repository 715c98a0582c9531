using System.Globalization;

namespace Holdout.Diagnostics.Checks;

/// <summary>One pipeline or model check of the doctor: the code it reports, whether it trains, and its probe.</summary>
/// <param name="code">The finding code this check reports (see <see cref="FindingCodes"/>).</param>
/// <param name="deep">Whether the check is a deep one (it trains, or fits a probe on many samples; run only with <see cref="PipelineCheckOptions.Deep"/>).</param>
internal abstract class PipelineCheck(string code, bool deep)
{
    /// <summary>Numbers in messages and evidence are written in the invariant culture.</summary>
    protected static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    /// <summary>The finding code this check reports.</summary>
    public string Code => code;

    /// <summary>Whether the check is a deep one.</summary>
    public bool Deep => deep;

    /// <summary>Whether the check applies to this setup (e.g. init-loss only to a model at initialisation).</summary>
    public virtual bool AppliesTo(PipelineProbe probe) => true;

    /// <summary>
    /// Runs the check: measures once, then builds the message and the evidence from the same measured values. The
    /// model is left exactly as it was found.
    /// </summary>
    /// <param name="probe">The setup, its options and its probe batches.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public abstract CheckOutcome Run(PipelineProbe probe, CancellationToken cancellationToken);
}
