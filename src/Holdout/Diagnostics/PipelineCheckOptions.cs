namespace Holdout.Diagnostics;

/// <summary>Which pipeline checks run and how hard they try.</summary>
/// <param name="Deep">Also run the checks that need many samples or train (one-batch-overfit, label-shuffle-baseline). Defaults to false.</param>
/// <param name="StatisticsBatches">Batches of each source read to compare input statistics. Defaults to 4.</param>
/// <param name="ProbeSamples">Samples in the batches used for the mode, loss and output probes. Defaults to 16.</param>
/// <param name="OverfitSteps">Most optimiser steps one-batch-overfit takes on its 8 images. Defaults to 150.</param>
/// <param name="ShuffleSamples">Training samples the deep checks read: label-shuffle-baseline's probe learns from all of
/// them, one-batch-overfit fits the first 8. Defaults to 128.</param>
/// <param name="Seed">Seed of the label shuffles and of the probes' randomness. Defaults to 42.</param>
public sealed record PipelineCheckOptions(
    bool Deep = false,
    int StatisticsBatches = 4,
    int ProbeSamples = 16,
    int OverfitSteps = 150,
    int ShuffleSamples = 128,
    long Seed = 42);
