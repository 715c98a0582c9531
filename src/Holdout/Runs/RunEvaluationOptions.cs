using Holdout.Data;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>What <see cref="RunEvaluation.Evaluate"/> evaluates: which model, on which images.</summary>
/// <param name="Run">A run folder written by <c>holdout train</c> (its <c>best.holdout</c> is evaluated), or a model
/// bundle file (<c>.holdout</c>), or an ONNX file written by <c>holdout export</c> (<c>.onnx</c>, run in ONNX Runtime in
/// float32); for a file <paramref name="Data"/> is required.</param>
/// <param name="Data">Other labelled images with the model's classes: a class-per-folder dataset, an already-split
/// folder, a CSV manifest or a <c>split.csv</c>. Defaults to null = the run's own <c>split.csv</c>.</param>
/// <param name="Split">Which split to evaluate. Defaults to null = test for the run's own split and for split
/// datasets; every image for a dataset that is not split (then a split may not be given).</param>
/// <param name="BatchSize">Images per batch. Defaults to null = the run's training batch size (from
/// <c>config.json</c>), else 32; the run's batch size reproduces its test metrics bit for bit.</param>
/// <param name="Workers">Image decoding threads; 0 = one per core. Defaults to 0.</param>
/// <param name="Precision">The backbone's number format. Defaults to null: the run's own (which reproduces its
/// metrics), or auto for a bundle file.</param>
public sealed record RunEvaluationOptions(
    string Run,
    string? Data = null,
    DataSplit? Split = null,
    int? BatchSize = null,
    int Workers = 0,
    Models.Precision? Precision = null)
{
    /// <summary>Checks the options; the message names the option, what it got and what it expects.</summary>
    /// <exception cref="HoldoutException">The batch size or worker count is out of range.</exception>
    public void Validate()
    {
        if (BatchSize is < 1) throw new HoldoutException($"--batch-size must be at least 1, got {BatchSize}.");
        if (Workers < 0) throw new HoldoutException($"--workers must be 0 (one per core) or more, got {Workers}.");
    }
}
