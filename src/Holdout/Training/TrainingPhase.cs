namespace Holdout.Training;

/// <summary>One <see cref="Trainer.Fit"/> call's plan: epochs, the parameter groups that train, and the schedule.</summary>
/// <param name="Name">Shown in logs, e.g. <c>head</c> or <c>all layers</c>.</param>
/// <param name="Epochs">Number of epochs in the phase.</param>
/// <param name="Groups">Parameter groups with their peak learning rates; parameters not listed do not train.</param>
/// <param name="Schedule">How the learning rate moves over the phase. Defaults to one-cycle.</param>
public sealed record TrainingPhase(string Name, int Epochs, IReadOnlyList<ParameterGroup> Groups, ScheduleKind Schedule = ScheduleKind.OneCycle);
