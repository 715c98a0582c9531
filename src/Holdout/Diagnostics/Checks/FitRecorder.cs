using Holdout.Training;
using TorchSharp.Modules;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// A callback that records a probe training step by step (each epoch is one batch): the first and last loss, the mean
/// loss, the last accuracy and the gradient norm of the first step, and stops once the loss falls below a target.
/// </summary>
internal sealed class FitRecorder(IReadOnlyList<Parameter> trainable, double stopBelow) : Callback
{
    private double _sum;

    public double First { get; private set; } = double.NaN;

    public double Last { get; private set; } = double.NaN;

    public int Steps { get; private set; }

    public double Accuracy { get; private set; }

    public double GradientNorm { get; private set; }

    public FitResult Result => new(First, Last, Steps, Accuracy, GradientNorm, _sum / Math.Max(1, Steps));

    public override void OnBatchEnd(TrainingContext context, BatchLogs logs)
    {
        // One batch per epoch: the epoch's running loss and accuracy are this step's.
        Last = logs.Loss;
        Accuracy = logs.Accuracy;
        _sum += Last;
        if (Steps++ == 0)
        {
            First = Last;
            // After optimizer.step the gradients of this step are still in place (zeroed at the next step).
            GradientNorm = Math.Sqrt(trainable.Where(p => p.grad is not null).Sum(p => p.grad!.square().sum().item<float>()));
        }
        if (!double.IsFinite(Last) || Last < stopBelow) context.StopTraining = true;
    }
}
