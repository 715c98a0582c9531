using Holdout.Training;

namespace Holdout.Runs;

/// <summary>Writes each epoch's Keras line to the run's log file.</summary>
internal sealed class LogLines(RunLog log, int plannedEpochs) : Callback
{
    private int _steps;

    public override void OnBatchEnd(TrainingContext context, BatchLogs logs) => _steps = logs.Steps;

    public override void OnEpochEnd(TrainingContext context, EpochLogs logs) =>
        log.FileOnly(KerasLogFormat.EpochLine(logs, Math.Max(plannedEpochs, context.PlannedEpochs), _steps));
}
