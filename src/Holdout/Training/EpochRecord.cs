namespace Holdout.Training;

/// <summary>One epoch of a training history, as written to <c>history.csv</c>.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean training loss over the epoch's batches (weighted by batch size).</param>
/// <param name="Accuracy">Training accuracy over the epoch.</param>
/// <param name="ValLoss">Validation loss after the epoch.</param>
/// <param name="ValAccuracy">Validation accuracy after the epoch.</param>
/// <param name="LearningRate">The head's learning rate at the end of the epoch.</param>
/// <param name="Seconds">Wall-clock seconds of the epoch, validation included.</param>
public sealed record EpochRecord(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy, double LearningRate, double Seconds);
