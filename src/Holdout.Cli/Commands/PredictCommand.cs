using Holdout.Inference;
using Holdout.Models;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout predict RUN|BUNDLE|MODEL.onnx INPUT...</c>: classify new images with a trained or exported model.</summary>
internal sealed class PredictCommand : Command<PredictCommand.Settings>
{
    public sealed class Settings : DecodingSettings
    {
        [CommandArgument(0, "<RUN|BUNDLE>")]
        [Description("A run folder written by 'holdout train' (its best.holdout is used), a .holdout bundle, or a .onnx file written by 'holdout export' (run in ONNX Runtime).")]
        public string Model { get; init; } = "";

        [CommandArgument(1, "<INPUT>")]
        [Description("Images, folders (every file under them) or CSV manifests (first column: image path; split.csv works).")]
        public string[] Inputs { get; init; } = [];

        [CommandOption("--json")]
        [Description("Print one JSON object per line: path, label, probability, probabilities (class: p) and top (the K most probable) per image; path and error per unreadable file.")]
        public bool Json { get; init; }

        [CommandOption("--top <K>")]
        [Description("How many of the most probable classes to show per image.")]
        [DefaultValue(3)]
        public int Top { get; init; } = 3;

        [CommandOption("--tta")]
        [Description("Test-time augmentation: average the probabilities of each image and its left-right mirror.")]
        public bool Tta { get; init; }

        [CommandOption("--tta-vertical")]
        [Description("With --tta, also average the upside-down flip (for images with no natural 'up', e.g. leaves, cells).")]
        public bool TtaVertical { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Images per batch.")]
        [DefaultValue(32)]
        public int BatchSize { get; init; } = 32;

        [CommandOption("--precision <P>")]
        [Description("auto, fp32 or bf16. Default: the run's own precision (which reproduces its numbers); auto for a .holdout bundle.")]
        public string? Precision { get; init; }

        public PredictorOptions ToOptions()
        {
            var options = new PredictorOptions(BatchSize, Workers, Tta, TtaVertical, Precision is null ? null : OptionNames.Parse<Precision>("--precision", Precision));
            options.Validate();
            return options;
        }

        protected override void Check()
        {
            base.Check();
            if (Inputs.Length == 0) throw new HoldoutException("Give at least one image, folder or CSV manifest after the run, e.g. holdout predict runs/my-run photo.jpg");
            if (Top < 1) throw new HoldoutException($"--top must be at least 1, got {Top}.");
            ToOptions();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        using var predictor = Predictor.Load(settings.Model, settings.ToOptions());
        var results = predictor.Predict(PredictionInputs.Expand(settings.Inputs), cancellationToken);
        int failed = 0, predicted = 0;
        if (settings.Json)
        {
            foreach (var r in results)
            {
                if (r.Succeeded) predicted++; else failed++;
                Console.Out.WriteLine(r.ToJson(settings.Top));
            }
        }
        else
        {
            var c = CultureInfo.InvariantCulture;
            var table = new Table().Border(TableBorder.Rounded).AddColumn("image").AddColumn("label").AddColumn(new TableColumn("probability").RightAligned());
            if (settings.Top > 1) table.AddColumn($"top {Math.Min(settings.Top, predictor.ClassNames.Count)}");
            foreach (var r in results)
            {
                if (!r.Succeeded)
                {
                    failed++;
                    Console.Error.WriteLine($"cannot predict {r.Path}: {r.Error}");
                    continue;
                }
                predicted++;
                var cells = new List<string> { Markup.Escape(r.Path), Markup.Escape(r.Label!), r.Confidence.ToString("0.0000", c) };
                if (settings.Top > 1) cells.Add(Markup.Escape(string.Join(", ", r.Top(settings.Top).Select(t => $"{t.Label} {t.Probability.ToString("0.000", c)}"))));
                table.AddRow(cells.ToArray());
            }
            if (predicted > 0) AnsiConsole.Write(table);
            Console.Error.WriteLine($"{predicted} image(s) predicted{(failed > 0 ? $", {failed} could not be read" : "")}{(settings.Tta ? " (test-time augmentation: flips averaged)" : "")}.");
        }
        return failed > 0 ? 1 : 0;
    }
}
