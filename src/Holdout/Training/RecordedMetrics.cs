namespace Holdout.Training;

/// <summary>A split's headline metrics as the run recorded them in <c>summary.json</c> at the end of training.</summary>
/// <param name="Accuracy">The recorded accuracy.</param>
/// <param name="Loss">The recorded mean cross-entropy loss.</param>
/// <param name="Images">The number of images the run evaluated.</param>
public sealed record RecordedMetrics(double Accuracy, double Loss, int Images);
