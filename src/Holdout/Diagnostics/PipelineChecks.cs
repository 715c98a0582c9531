using System.Diagnostics;
using Holdout.Diagnostics.Checks;
using Holdout.Native;

namespace Holdout.Diagnostics;

/// <summary>
/// The pipeline and model checks of the doctor, on any <see cref="PipelineSetup"/>: validation coverage, input
/// statistics against each other and against the backbone's specification, the model's output activation against the
/// loss, train-mode against eval-mode predictions (the frozen-BatchNorm failure), the loss at initialisation, and
/// (with <see cref="PipelineCheckOptions.Deep"/>) overfitting one batch and fitting shuffled labels, which train
/// through the same <see cref="Training.Trainer"/> as training does. Each check lives in its own type; probes run on
/// the setup itself and put the model back as they found it.
/// </summary>
internal static class PipelineChecks
{
    private static readonly PipelineCheck[] All =
    [
        new EvalCoverageCheck(),
        new PreprocessingCheck(),
        new LossActivationCheck(),
        new BatchNormModeGapCheck(),
        new InitLossCheck(),
        new OneBatchOverfitCheck(),
        new LabelShuffleCheck(),
    ];

    /// <summary>Runs the checks and returns the findings and how long each check took.</summary>
    /// <param name="setup">The model, loss and batch sources to examine.</param>
    /// <param name="options">Which checks and how hard; defaults to <see cref="PipelineCheckOptions"/>'s defaults (no training).</param>
    /// <param name="cancellationToken">Stops the checks between probes.</param>
    public static (IReadOnlyList<Finding> Findings, IReadOnlyList<CheckTiming> Timings) Run(PipelineSetup setup, PipelineCheckOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        NativeRuntime.EnsureInitialized();
        options ??= new PipelineCheckOptions();
        var findings = new List<Finding>();
        var timings = new List<CheckTiming>();
        using var probe = new PipelineProbe(setup, options, cancellationToken);
        foreach (var check in All.Where(c => (options.Deep || !c.Deep) && c.AppliesTo(probe)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var outcome = check.Run(probe, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            timings.Add(new CheckTiming(check.Code, seconds, check.Deep, outcome.Observed));
            findings.AddRange(check.Deep ? outcome.Findings.Select(f => f with { Seconds = seconds }) : outcome.Findings);
        }
        return (findings, timings);
    }
}
