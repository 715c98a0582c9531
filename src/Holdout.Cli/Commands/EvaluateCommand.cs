using Holdout.Data;
using Holdout.Models;
using Holdout.Inference;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout evaluate RUN</c>: how good the best model really is, on its test split or on other images.</summary>
internal sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : DecodingSettings
    {
        [CommandArgument(0, "<RUN>")]
        [Description("A run folder written by 'holdout train' (its best.holdout is evaluated), a .holdout bundle or an .onnx file from 'holdout export' (run in ONNX Runtime); for a file --data is needed (a run's split.csv evaluates its test split).")]
        public string Run { get; init; } = "";

        [CommandOption("--data <DATA>")]
        [Description("Evaluate on these images instead of the run's split.csv: a class-per-folder dataset, a split folder, a CSV manifest or a split.csv, with the model's classes.")]
        public string? Data { get; init; }

        [CommandOption("--split <SPLIT>")]
        [Description("train, val or test. Default: test (every image for --data that is not split).")]
        public string? Split { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON document (accuracy, loss, per_class, macro_f1, confusion, roc_auc, expected_calibration_error, most_confused, ...) instead of tables.")]
        public bool Json { get; init; }

        [CommandOption("--predictions <CSV>")]
        [Description("Also write every image's prediction to this CSV (path,label,predicted,p:<class>...), like the run's predictions-test.csv.")]
        public string? Predictions { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Images per batch. Default: the run's training batch size, which reproduces its summary.json exactly.")]
        public int? BatchSize { get; init; }

        [CommandOption("--precision <P>")]
        [Description("auto, fp32 or bf16. Default: the run's own precision (which reproduces its numbers); auto for a .holdout bundle; an .onnx file always runs in float32.")]
        public string? Precision { get; init; }

        protected override void Check()
        {
            base.Check();
            ToOptions();
        }

        public RunEvaluationOptions ToOptions()
        {
            DataSplit? split = null;
            if (Split is not null)
                split = DataSplitNames.TryParse(Split, out var parsed) ? parsed : throw new HoldoutException($"--split '{Split}' is not one of: train, val, test.");
            var options = new RunEvaluationOptions(Run, Data, split, BatchSize, Workers, Precision is null ? null : OptionNames.Parse<Precision>("--precision", Precision));
            options.Validate();
            return options;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        var options = settings.ToOptions();
        var result = RunEvaluation.Evaluate(options, cancellationToken);
        foreach (var skipped in result.Skipped) Console.Error.WriteLine($"skipped {skipped.Path}: {skipped.Reason}");
        if (settings.Predictions is not null)
        {
            result.WritePredictions(settings.Predictions);
            Console.Error.WriteLine($"predictions: {Path.GetFullPath(settings.Predictions)}");
        }
        if (settings.Json)
        {
            Console.Out.WriteLine(result.ToJson());
            return 0;
        }
        Render(result);
        return 0;
    }

    private static void Render(RunEvaluationResult result)
    {
        var c = CultureInfo.InvariantCulture;
        var m = result.Metrics;
        string F(double value) => value.ToString("0.0000", c);
        var what = result.Split is { } split ? $"{split.ToName()} split" : "all images";
        var summary = new Table().Border(TableBorder.Rounded)
            .Title($"{Markup.Escape(result.Bundle)} on the {what} of {Markup.Escape(result.DataSource)}")
            .AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        summary.AddRow("images", m.SampleCount.ToString(c));
        summary.AddRow("accuracy", F(m.Accuracy));
        summary.AddRow("loss", F(result.Predictions.Loss));
        summary.AddRow("macro-F1", F(m.MacroF1));
        if (m.RocAuc is { } auc) summary.AddRow("ROC-AUC", F(auc));
        else if (m.MacroRocAuc is { } macroAuc) summary.AddRow("macro ROC-AUC (one-vs-rest)", F(macroAuc));
        summary.AddRow("expected calibration error", F(m.ExpectedCalibrationError));
        if (result.RecordedAccuracy is { } recordedAccuracy && result.RecordedLoss is { } recordedLoss)
        {
            string Same(bool same) => same ? "[green](same)[/]" : "[red](differs)[/]";
            summary.AddRow("summary.json accuracy", $"{F(recordedAccuracy)} {Same(recordedAccuracy == m.Accuracy)}");
            summary.AddRow("summary.json loss", $"{F(recordedLoss)} {Same(Math.Abs(recordedLoss - result.Predictions.Loss) < 1e-9)}");
        }
        AnsiConsole.Write(summary);

        var perClass = new Table().Border(TableBorder.Rounded).Title("Per class").AddColumn("class");
        foreach (var column in new[] { "precision", "recall", "F1", "support", "predicted" }) perClass.AddColumn(new TableColumn(column).RightAligned());
        foreach (var k in m.PerClass)
            perClass.AddRow(Markup.Escape(k.Name), F(k.Precision), F(k.Recall), F(k.F1), k.Support.ToString(c), k.Predicted.ToString(c));
        AnsiConsole.Write(perClass);

        var confusion = new Table().Border(TableBorder.Rounded).Title("Confusion matrix (rows: true class, columns: predicted)").AddColumn("true \\ predicted");
        foreach (var name in m.ClassNames) confusion.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        for (int t = 0; t < m.ClassNames.Count; t++)
        {
            var cells = new List<string> { Markup.Escape(m.ClassNames[t]) };
            for (int p = 0; p < m.ClassNames.Count; p++)
            {
                var count = m.Confusion[t][p].ToString(c);
                cells.Add(t == p ? $"[green]{count}[/]" : m.Confusion[t][p] > 0 ? $"[red]{count}[/]" : count);
            }
            confusion.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(confusion);

        if (m.MostConfused.Count > 0)
        {
            var confused = new Table().Border(TableBorder.Rounded).Title("Most confused").AddColumn("true class").AddColumn("predicted as").AddColumn(new TableColumn("images").RightAligned());
            foreach (var pair in m.MostConfused.Take(10)) confused.AddRow(Markup.Escape(pair.TrueLabel), Markup.Escape(pair.PredictedLabel), pair.Count.ToString(c));
            AnsiConsole.Write(confused);
        }
        else
        {
            AnsiConsole.MarkupLine("[green]No confusions: every image was classified correctly.[/]");
        }
    }
}
