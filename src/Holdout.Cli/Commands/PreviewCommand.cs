using Holdout.Models;
using Holdout.Runs;

namespace Holdout.Cli.Commands;

/// <summary>
/// <c>holdout preview DATA</c>: a grid of the exact tensors one training batch feeds the model — the run setup
/// <c>holdout train</c> would build with the same options (split, model preprocessing, augmentation, seed).
/// </summary>
internal sealed class PreviewCommand : Command<PreviewCommand.Settings>
{
    public sealed class Settings : RunSettings
    {
        [CommandArgument(0, "<DATA>")]
        [Description("Dataset folder, CSV manifest, or a split.csv, as for 'holdout train' (its training split is previewed).")]
        public string Data { get; init; } = "";

        [CommandOption("--out <FILE>")]
        [Description("The PNG to write.")]
        [DefaultValue("grid.png")]
        public string Out { get; init; } = "grid.png";

        [CommandOption("--count <N>")]
        [Description("Images in the grid (the first N of the epoch's training order).")]
        [DefaultValue(16)]
        public int Count { get; init; } = 16;

        [CommandOption("--epoch <N>")]
        [Description("Which epoch's batch to show (1-based; augmentation changes per epoch).")]
        [DefaultValue(1)]
        public int Epoch { get; init; } = 1;

        public override string? DataPath => Data;

        protected override TrainRunOptions Complete(TrainRunOptions shared) => shared;

        protected override void Check()
        {
            base.Check();
            if (Count < 1) throw new HoldoutException($"--count must be at least 1, got {Count}.");
            if (Epoch < 1) throw new HoldoutException($"--epoch must be at least 1, got {Epoch}.");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        var options = settings.ToOptions();
        var data = RunData.Prepare(options, cancellationToken: cancellationToken);
        DataOutput.WriteSkipped(data.Skipped);
        using var setup = RunSetup.Create(options, data.Split);
        setup.WritePreview(settings.Out, settings.Epoch, settings.Count, cancellationToken);
        var size = setup.Preprocessing.InputSize;
        AnsiConsole.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(settings.Out))}[/]: {Math.Min(settings.Count, setup.Train.SampleCount)} training images as the model sees them " +
                               $"({Markup.Escape(options.Augment)} augmentation, epoch {settings.Epoch}, {size}x{size}, de-normalised).");
        return 0;
    }
}
