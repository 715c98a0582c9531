using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout lr-find [DATA]</c>: the learning-rate range test.</summary>
internal sealed class LrFindCommand : Command<LrFindCommand.Settings>
{
    public sealed class Settings : SampleDataSettings
    {
        [CommandOption("--steps <N>")]
        [Description("Training steps of the test, the learning rate rising from 1e-7 to 10.")]
        [DefaultValue(100)]
        public int Steps { get; init; } = 100;

        [CommandOption("--out <PNG>")]
        [Description("Where to write the plot of loss against learning rate.")]
        [DefaultValue("lr-find.png")]
        public string Out { get; init; } = "lr-find.png";

        protected override void Check()
        {
            base.Check();
            if (Steps < 5) throw new HoldoutException($"--steps must be at least 5, got {Steps}.");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        var result = LearningRateSearch.Run(settings.ToOptions(), settings.Steps, settings.Out, cancellationToken);
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
