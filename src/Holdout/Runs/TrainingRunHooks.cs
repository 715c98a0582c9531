using Holdout.Training;

namespace Holdout.Runs;

/// <summary>How a caller watches a <see cref="TrainingRun"/>.</summary>
/// <param name="Progress">A callback that shows progress (the CLI's live bars or plain Keras lines), or null.</param>
/// <param name="Log">Receives every message line (data summary, checkpoints, phases, test result), or null.</param>
/// <param name="CommandLine">The command line to record in <c>config.json</c>, or null.</param>
/// <param name="Completed">Called with the result and the trained model before it is disposed (e.g. to write the report), or null.</param>
public sealed record TrainingRunHooks(
    Callback? Progress = null,
    Action<string>? Log = null,
    string? CommandLine = null,
    Action<TrainingRunResult, Models.ImageClassifier>? Completed = null);
