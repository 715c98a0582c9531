using System.ComponentModel;
using Holdout.Data;
using Holdout.Imaging;
using Holdout.Native;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout preview DATA</c>: a grid of the exact tensors one training batch feeds the model.</summary>
internal sealed class PreviewCommand : Command<PreviewCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<DATA>")]
        [Description("Dataset folder, CSV manifest, or a split.csv (its train split is previewed).")]
        public string Data { get; init; } = "";

        [CommandOption("--augment <PRESET>")]
        [Description("Augmentation preset: none, light or standard.")]
        [DefaultValue("standard")]
        public string Augment { get; init; } = "standard";

        [CommandOption("--out <FILE>")]
        [Description("The PNG to write.")]
        [DefaultValue("grid.png")]
        public string Out { get; init; } = "grid.png";

        [CommandOption("--count <N>")]
        [Description("Images in the grid (one batch of this size).")]
        [DefaultValue(16)]
        public int Count { get; init; } = 16;

        [CommandOption("--seed <N>")]
        [Description("Seed of the order and augmentation.")]
        [DefaultValue(0L)]
        public long Seed { get; init; }

        [CommandOption("--epoch <N>")]
        [Description("Which epoch's batch to show (augmentation changes per epoch).")]
        [DefaultValue(0)]
        public int Epoch { get; init; }

        [CommandOption("--size <PIXELS>")]
        [Description("Model input size.")]
        [DefaultValue(224)]
        public int Size { get; init; } = 224;

        [CommandOption("--model <NAME>")]
        [Description("The model whose preprocessing is shown: simple-cnn, resnet18, resnet34 or resnet50 (as for 'holdout train').")]
        [DefaultValue("resnet18")]
        public string Model { get; init; } = "resnet18";

        [CommandOption("--weights <WEIGHTS>")]
        [Description("bundled, none or FILE.safetensors, as for 'holdout train' (the weights decide the preprocessing).")]
        public string? Weights { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        try
        {
            using var imageSettings = settings.UseImageSettings();
            if (settings.Count < 1 || settings.Size < 8)
            {
                throw new HoldoutException($"--count must be at least 1 and --size at least 8 (got {settings.Count} and {settings.Size}).");
            }
            var augmentation = AugmentationOptions.Preset(settings.Augment);
            // Only the previewed batch is decoded for real; the rest need only be checked, not measured.
            var dataset = DatasetDiscovery.Discover(settings.Data, new DiscoveryOptions(Measure: false), cancellationToken);
            DataOutput.WriteSkipped(dataset);
            var samples = dataset.HasGivenSplit ? dataset.InSplit(DataSplit.Train) : dataset.Samples;
            if (samples.Count == 0)
            {
                throw new HoldoutException($"Dataset '{settings.Data}' has no training images to preview.");
            }
            // The preprocessing travels with the model: build it as 'holdout train' would and take its specification.
            var options = new Holdout.Training.TrainRunOptions(Model: CliOptions.Architecture(settings.Model), Weights: settings.Weights, ImageSize: settings.Size);
            Preprocessing preprocessing;
            using (var model = Holdout.Models.ModelFactory.Create(new Holdout.Models.ModelOptions(options.Model, dataset.ClassNames, settings.Size, options.EffectiveWeights)))
                preprocessing = model.Spec.Preprocessing;
            var loader = BatchLoader.ForTraining(samples, preprocessing,
                new BatchLoaderOptions(BatchSize: Math.Min(settings.Count, samples.Count), Augmentation: augmentation, Seed: settings.Seed));

            NativeRuntime.EnsureInitialized();
            using var scope = torch.NewDisposeScope();
            using var batch = loader.Batches(settings.Epoch, cancellationToken).First();
            var images = batch.Images.data<float>().ToArray();
            var captions = batch.Indices.Select(i => dataset.ClassNames[samples[i].Label]).ToList();
            AtomicFile.WriteAllBytes(settings.Out, BatchPreview.RenderGrid(images, captions, preprocessing));
            AnsiConsole.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(settings.Out))}[/]: {batch.Count} images as the model sees them ({Markup.Escape(settings.Augment)} augmentation, epoch {settings.Epoch}, {settings.Size}x{settings.Size}, de-normalised).");
            return 0;
        }
        catch (HoldoutException e)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }
}
