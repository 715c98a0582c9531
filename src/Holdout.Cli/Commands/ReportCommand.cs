using Holdout.Runs;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout report RUN</c>: rebuilds a run's report.html from the files in its folder.</summary>
internal sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN>")]
        [Description("A run folder written by 'holdout train'.")]
        public string Run { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.Run))
            throw new HoldoutException($"'{settings.Run}' does not exist. Expected a run folder written by 'holdout train' (e.g. runs/20261129-101500-resnet18).");
        Console.Out.WriteLine(Path.GetFullPath(RunReport.Write(settings.Run)));
        return 0;
    }
}
