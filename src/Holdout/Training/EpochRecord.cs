namespace Holdout.Training;

/// <summary>
/// What one training epoch produced: the training loss and accuracy, the validation loss and accuracy, the learning
/// rate used and how long the epoch took. The trainer's history yields one per epoch; <c>history.csv</c> stores them
/// (<c>Runs.HistoryCsv</c>) and the report draws the learning curves from them.
/// </summary>
/// <param name="Epoch">The epoch number, 1-based.</param>
/// <param name="Loss">Mean training loss over the epoch.</param>
/// <param name="Accuracy">Training accuracy over the epoch (0..1).</param>
/// <param name="ValLoss">Validation loss after the epoch (<see cref="double.NaN"/> when there was no validation).</param>
/// <param name="ValAccuracy">Validation accuracy after the epoch (0..1; <see cref="double.NaN"/> when there was no validation).</param>
/// <param name="LearningRate">The learning rate at the end of the epoch.</param>
/// <param name="Seconds">Wall-clock seconds the epoch took, validation included.</param>
public sealed record EpochRecord(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy, double LearningRate, double Seconds);
