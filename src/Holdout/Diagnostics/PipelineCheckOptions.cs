namespace Holdout.Diagnostics;

/// <summary>Which pipeline checks run and how hard they try.</summary>
/// <param name="Deep">Also run the checks that train (one-batch-overfit, label-shuffle-baseline). Defaults to false.</param>
/// <param name="StatisticsBatches">Batches of each source read to compare input statistics. Defaults to 4.</param>
/// <param name="ProbeSamples">Samples in the batch used for the mode, loss and overfit probes. Defaults to 16.</param>
/// <param name="OverfitSteps">Most optimiser steps one-batch-overfit takes. Defaults to 150.</param>
/// <param name="ShuffleSamples">Training samples label-shuffle-baseline fits. Defaults to 32.</param>
/// <param name="ShuffleSteps">Optimiser steps label-shuffle-baseline takes with real and with shuffled labels. Defaults to 30.</param>
/// <param name="Seed">Seed of the label shuffle and of the probes' randomness. Defaults to 42.</param>
public sealed record PipelineCheckOptions(
    bool Deep = false,
    int StatisticsBatches = 4,
    int ProbeSamples = 16,
    int OverfitSteps = 150,
    int ShuffleSamples = 32,
    int ShuffleSteps = 30,
    long Seed = 42);
