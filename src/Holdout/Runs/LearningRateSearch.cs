using Holdout.Data;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// <c>holdout lr-find</c> as a library call: the learning-rate range test on a dataset's training split, on the
/// run's own <see cref="RunSetup"/> (model, BatchNorm policy, loader, loss) for the parameters the recipe's first phase
/// trains (the head, with a pretrained backbone frozen).
/// </summary>
public static class LearningRateSearch
{
    /// <summary>Runs the range test; writes the plot to <paramref name="plotPath"/> when given.</summary>
    /// <param name="options">Data, model, image size, batch size, augmentation, seed and workers as for training.</param>
    /// <param name="steps">Range-test steps. Defaults to 100.</param>
    /// <param name="plotPath">Where to write the PNG plot, or null.</param>
    /// <param name="cancellationToken">Stops discovery and splitting.</param>
    /// <exception cref="HoldoutException">An option is invalid or the data cannot be used.</exception>
    public static LearningRateFinder.Result Run(TrainRunOptions options, int steps = 100, string? plotPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var data = RunData.Prepare(options, cancellationToken: cancellationToken);
        using var setup = RunSetup.Create(options, data.Split);
        var phase = setup.Recipe.Phases[0].Prepare(setup.Model);
        var result = LearningRateFinder.Run(setup.Model, setup.Train, [.. phase.Groups.SelectMany(g => g.Parameters)], steps: steps, seed: options.Seed, loss: setup.Loss);
        if (plotPath is not null && result.Points.Count >= 2)
            AtomicFile.WriteAllBytes(plotPath, Reporting.Charts.LearningRateFinder(result.Points, result.Suggested));
        return result;
    }
}
