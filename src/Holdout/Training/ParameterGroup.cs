using TorchSharp.Modules;

namespace Holdout.Training;

/// <summary>Parameters trained with one peak learning rate (discriminative learning rates use several).</summary>
/// <param name="Parameters">The parameters of the group.</param>
/// <param name="LearningRate">The group's peak learning rate; the schedule scales it.</param>
public sealed record ParameterGroup(IReadOnlyList<Parameter> Parameters, double LearningRate);
