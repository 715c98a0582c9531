using Holdout.Data;
using Holdout.Imaging;

namespace Holdout.Training;

/// <summary>The batch loaders of a training run, configured from its options.</summary>
internal static class Loaders
{
    public static BatchLoader Training(IReadOnlyList<ImageSample> samples, Preprocessing preprocessing, TrainRunOptions options) =>
        BatchLoader.ForTraining(samples, preprocessing, new BatchLoaderOptions(
            BatchSize: options.BatchSize, Workers: options.Workers, DropLast: options.DropLast,
            Augmentation: AugmentationOptions.Preset(options.Augment), Seed: Seeds.Derive(options.Seed, 0xda7a)));

    public static BatchLoader Evaluation(IReadOnlyList<ImageSample> samples, Preprocessing preprocessing, TrainRunOptions options) =>
        BatchLoader.ForEvaluation(samples, preprocessing, new BatchLoaderOptions(BatchSize: options.BatchSize, Workers: options.Workers));
}
