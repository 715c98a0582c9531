namespace Holdout.Training;

/// <summary>Running metrics after one training batch, for progress display.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="Steps">Steps in the epoch.</param>
/// <param name="Loss">Running mean loss of the epoch so far.</param>
/// <param name="Accuracy">Running accuracy of the epoch so far.</param>
/// <param name="Seconds">Seconds since the epoch began.</param>
public sealed record BatchLogs(int Epoch, int Step, int Steps, double Loss, double Accuracy, double Seconds)
{
    /// <summary>The time per step so far, the way Keras shows it (<c>1.2s</c> or <c>85ms</c>).</summary>
    public string StepTime => KerasLogFormat.StepTime(Seconds / Math.Max(1, Step));
}
