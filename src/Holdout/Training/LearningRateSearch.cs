using Holdout.Data;
using Holdout.Models;

namespace Holdout.Training;

/// <summary>
/// <c>holdout lr-find</c> as a library call: the learning-rate range test on a dataset's training split, for the
/// parameters the first phase of the recipe would train (the head, with a pretrained backbone frozen).
/// </summary>
public static class LearningRateSearch
{
    /// <summary>Runs the range test; writes the plot to <paramref name="plotPath"/> when given.</summary>
    /// <param name="options">Data, model, image size, batch size, augmentation, seed and workers as for training.</param>
    /// <param name="steps">Range-test steps. Defaults to 100.</param>
    /// <param name="plotPath">Where to write the PNG plot, or null.</param>
    public static LearningRateFinder.Result Run(TrainRunOptions options, int steps = 100, string? plotPath = null)
    {
        var dataset = DatasetDiscovery.Discover(options.Data ?? SampleData.Locate(), new DiscoveryOptions(options.Strict, options.Workers));
        var manifest = Splitter.Split(dataset, new SplitOptions(SplitRatios.Parse(options.Split), options.Seed)).Manifest;
        using var model = ModelFactory.Create(new ModelOptions(options.Model, manifest.ClassNames, options.EffectiveImageSize, options.EffectiveWeights, Seed: options.Seed));
        if (options.EffectiveRecipe != Recipe.Scratch) model.FreezeBackbone();
        var train = Loaders.Training(manifest.Samples(DataSplit.Train), model.Spec.Preprocessing, options);
        var result = LearningRateFinder.Run(model, train, [.. model.ParameterGroups().SelectMany(g => g)], steps: steps, seed: options.Seed);
        if (plotPath is not null && result.Points.Count >= 2)
            AtomicFile.WriteAllBytes(plotPath, Reporting.Charts.LearningRateFinder(result.Points, result.Suggested));
        return result;
    }
}
