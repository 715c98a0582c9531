using System.Globalization;

namespace Holdout.Diagnostics.Checks;

/// <summary>One pipeline or model check of the doctor: the code it reports, whether it trains, and its probe.</summary>
/// <param name="code">The finding code this check reports (see <see cref="FindingCodes"/>).</param>
/// <param name="trains">Whether the check trains the model (a deep check, run only with <see cref="PipelineCheckOptions.Deep"/>).</param>
internal abstract class PipelineCheck(string code, bool trains)
{
    /// <summary>Numbers in messages and evidence are written in the invariant culture.</summary>
    protected static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    /// <summary>The finding code this check reports.</summary>
    public string Code => code;

    /// <summary>Whether the check trains the model.</summary>
    public bool Trains => trains;

    /// <summary>Whether the check applies to this setup (e.g. init-loss only to a model at initialisation).</summary>
    public virtual bool AppliesTo(PipelineProbe probe) => true;

    /// <summary>Runs the check; the model is left exactly as it was found.</summary>
    /// <param name="probe">The setup, its options and its probe batches.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public abstract IReadOnlyList<Finding> Run(PipelineProbe probe, CancellationToken cancellationToken);
}
