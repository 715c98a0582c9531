using System.Diagnostics;
using Holdout.Diagnostics;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout doctor DATA [--run RUN] [--json] [--deep] [--out DIR]</c>: ranked findings with evidence and fixes.</summary>
internal sealed class DoctorCommand : Command<DoctorCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<DATA>")]
        [Description("Dataset: a folder with one subfolder per class, a folder with train/val/test subfolders, or a CSV manifest (path,label[[,split]]).")]
        public string Data { get; init; } = "";

        [CommandOption("--run <RUN>")]
        [Description("A run folder from holdout train: audit its split.csv, probe its model/loaders/loss and read its history.csv. The findings are saved to RUN/doctor.json, which the run's report shows.")]
        public string? Run { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON document { \"findings\": [[...]] } instead of the readable summary.")]
        public bool Json { get; init; }

        [CommandOption("--deep")]
        [Description("Also run the checks that train (one-batch overfit, shuffled-label baseline) and the shortcut-cue check on the run's trained model (Grad-CAM heatmaps of the validation images, proved by occluding and pasting the region); needs --run.")]
        public bool Deep { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Where --deep writes the pictures that show its evidence (shortcut-cue montages). Default: the run folder's doctor/.")]
        public string? Out { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed of the split Holdout would make when DATA is not split yet (as holdout train).")]
        [DefaultValue(42L)]
        public long Seed { get; init; } = 42;

        [CommandOption("--split <RATIOS>")]
        [Description("Ratios of that split (as holdout train).")]
        [DefaultValue("70/15/15")]
        public string Split { get; init; } = "70/15/15";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        if (settings.Deep && settings.Run is null)
        {
            return CliErrors.Usage("--deep trains the run's setup and needs --run RUN (a folder written by holdout train).");
        }
        DoctorReport report;
        var clock = Stopwatch.StartNew();
        try
        {
            report = Doctor.Examine(new DoctorOptions(settings.Data, settings.Run, settings.Deep, settings.Seed, settings.Split, Output: settings.Out), cancellationToken);
        }
        catch (HoldoutException e)
        {
            // Exit code 1 means "error findings" here, so a doctor that cannot run says so with 2.
            return CliErrors.Failure(e, CliErrors.UsageExitCode);
        }
        // The run keeps the findings beside its other files, so its report.html can show them (holdout report RUN).
        string? saved = null;
        try
        {
            if (settings.Run is not null) saved = report.SaveToRun(settings.Run);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The findings are printed either way; only the report's copy of them is missing.
            Console.Error.WriteLine($"Warning: could not save the findings to the run folder ({e.Message}); its report will not show them.");
        }
        if (settings.Json)
        {
            Console.Out.WriteLine(report.ToJsonText());
            return report.ExitCode;
        }
        Render(report, clock.Elapsed.TotalSeconds);
        if (saved is not null)
        {
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLine($"[dim]Saved to {Markup.Escape(saved)}; 'holdout report {Markup.Escape(settings.Run!)}' shows these findings in report.html.[/]");
        }
        return report.ExitCode;
    }

    private static void Render(DoctorReport report, double seconds)
    {
        var errors = report.Findings.Count(f => f.Severity == FindingSeverity.Error);
        var warnings = report.Findings.Count(f => f.Severity == FindingSeverity.Warning);
        var infos = report.Findings.Count - errors - warnings;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]holdout doctor[/]: [red]{errors} error(s)[/], [yellow]{warnings} warning(s)[/], {infos} info ({seconds:0.0} s)"));
        if (report.Findings.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]No problems found in the checks that ran.[/]");
        }
        if (report.Summary() is { } summary)
        {
            AnsiConsole.WriteLine();
            AnsiConsole.Write(new Panel(Markup.Escape(summary)).Header("diagnosis").BorderColor(Color.Red));
        }
        for (var i = 0; i < report.Findings.Count; i++)
        {
            var f = report.Findings[i];
            var colour = f.Severity switch { FindingSeverity.Error => "red", FindingSeverity.Warning => "yellow", _ => "blue" };
            AnsiConsole.WriteLine();
            var took = f.Seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $" [dim]({s:0.0} s)[/]") : "";
            AnsiConsole.MarkupLine($"{i + 1}. [{colour} bold]{DoctorReport.SeverityName(f.Severity).ToUpperInvariant()}[/] [bold]{Markup.Escape(f.Code)}[/]: {Markup.Escape(f.Message)}{took}");
            foreach (var line in f.Evidence.Take(8))
            {
                AnsiConsole.MarkupLine($"   - {Markup.Escape(line)}");
            }
            if (f.Evidence.Count > 8)
            {
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"   - [dim]... and {f.Evidence.Count - 8} more (see --json)[/]"));
            }
            AnsiConsole.MarkupLine($"   [green]fix:[/] {Markup.Escape(f.Fix)}");
            foreach (var file in f.Files ?? [])
            {
                AnsiConsole.MarkupLine($"   [blue]file:[/] {Markup.Escape(file)}");
            }
        }
        if (report.Timings.Count > 0)
        {
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLine("[dim]Checks run:[/]");
            foreach (var timing in report.Timings)
            {
                AnsiConsole.MarkupLine($"[dim]   {Markup.Escape(timing.Describe())}[/]");
            }
        }
    }
}
