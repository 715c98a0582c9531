using System.ComponentModel;
using System.Globalization;
using Holdout.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout lr-find [DATA]</c>: the learning-rate range test.</summary>
internal sealed class LrFindCommand : Command<LrFindCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "[DATA]")]
        [Description("Images, as for 'holdout train'. Default: the sample in samples/beans.")]
        public string? Data { get; init; }

        [CommandOption("--model <NAME>")]
        [Description("simple-cnn, resnet18, resnet34 or resnet50.")]
        [DefaultValue("resnet18")]
        public string Model { get; init; } = "resnet18";

        [CommandOption("--weights <WEIGHTS>")]
        [Description("bundled, none or FILE.safetensors, as for 'holdout train'.")]
        public string? Weights { get; init; }

        [CommandOption("--image-size <PX>")]
        [Description("Model input side in pixels. Default: 224 (128 for simple-cnn).")]
        public int? ImageSize { get; init; }

        [CommandOption("--batch-size <N>")]
        [DefaultValue(32)]
        public int BatchSize { get; init; } = 32;

        [CommandOption("--steps <N>")]
        [Description("Training steps of the test, the learning rate rising from 1e-7 to 10.")]
        [DefaultValue(100)]
        public int Steps { get; init; } = 100;

        [CommandOption("--augment <PRESET>")]
        [Description("none, light or standard.")]
        [DefaultValue("standard")]
        public string Augment { get; init; } = "standard";

        [CommandOption("--seed <N>")]
        [DefaultValue(42L)]
        public long Seed { get; init; } = 42;

        [CommandOption("--workers <N>")]
        [Description("Image decoding workers (0 = one per core).")]
        [DefaultValue(0)]
        public int Workers { get; init; }

        [CommandOption("--out <PNG>")]
        [Description("Where to write the plot of loss against learning rate.")]
        [DefaultValue("lr-find.png")]
        public string Out { get; init; } = "lr-find.png";

        public override ValidationResult Validate()
        {
            try
            {
                _ = ToOptions();
                return Steps < 5 ? ValidationResult.Error($"--steps must be at least 5, got {Steps}.") : ValidationResult.Success();
            }
            catch (HoldoutException e)
            {
                return ValidationResult.Error(e.Message);
            }
        }

        public TrainRunOptions ToOptions() => new(Data, CliOptions.Architecture(Model), Weights, BatchSize: BatchSize, ImageSize: ImageSize,
            Augment: CliOptions.Augment(Augment), Seed: Seed, Workers: Workers);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        var result = LearningRateSearch.Run(settings.ToOptions(), settings.Steps, settings.Out);
        var c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("learning rate").AddColumn("smoothed loss");
        int stride = Math.Max(1, result.Points.Count / 12);
        for (int i = 0; i < result.Points.Count; i += stride)
            table.AddRow(result.Points[i].LearningRate.ToString("0.0e+00", c), result.Points[i].Loss.ToString("0.0000", c));
        AnsiConsole.Write(table);
        Console.WriteLine($"suggested learning rate: {result.Suggested.ToString("0.0e+00", c)} (pass it as --lr)");
        Console.WriteLine($"plot: {settings.Out}");
        return 0;
    }
}
