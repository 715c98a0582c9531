using Holdout.Explaining;
using Holdout.Inference;
using Holdout.Models;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout explain RUN IMAGES... --out DIR [--class NAME]</c>: Grad-CAM heatmaps of a run's predictions.</summary>
internal sealed class ExplainCommand : Command<ExplainCommand.Settings>
{
    public sealed class Settings : DecodingSettings
    {
        [CommandArgument(0, "<RUN>")]
        [Description("A run folder written by 'holdout train' (its best.holdout is explained) or a .holdout bundle.")]
        public string Model { get; init; } = "";

        [CommandArgument(1, "<IMAGES>")]
        [Description("Images, folders (every file under them) or CSV manifests (first column: image path), as for 'holdout predict'.")]
        public string[] Inputs { get; init; } = [];

        [CommandOption("-o|--out <DIR>")]
        [Description("Where the overlays (one PNG per image, named after it) and explanations.jsonl go; created if missing.")]
        public string? Out { get; init; }

        [CommandOption("--class <NAME>")]
        [Description("Explain the evidence for this class in every image. Default: each image's predicted class.")]
        public string? Class { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Images per Grad-CAM pass.")]
        [DefaultValue(32)]
        public int BatchSize { get; init; } = 32;

        [CommandOption("--precision <P>")]
        [Description("auto, fp32 or bf16. Default: the run's own precision (which reproduces its predictions); auto for a .holdout bundle.")]
        public string? Precision { get; init; }

        public ExplainerOptions ToOptions()
        {
            var options = new ExplainerOptions(BatchSize, Workers, Precision is null ? null : OptionNames.Parse<Precision>("--precision", Precision));
            options.Validate();
            return options;
        }

        protected override void Check()
        {
            base.Check();
            if (Inputs.Length == 0) throw new HoldoutException("Give at least one image or folder after the run, e.g. holdout explain runs/my-run photo.jpg --out explained");
            if (string.IsNullOrWhiteSpace(Out)) throw new HoldoutException("--out DIR is required: the folder the overlays and explanations.jsonl are written to.");
            ToOptions();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        using var explainer = Explainer.Load(settings.Model, settings.ToOptions());
        int? explained = settings.Class is null ? null : explainer.ClassIndex(settings.Class);
        var folder = new ExplanationFolder(settings.Out!);
        var c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("image").AddColumn("predicted").AddColumn(new TableColumn("probability").RightAligned())
            .AddColumn("explained").AddColumn("peak").AddColumn(new TableColumn("border").RightAligned()).AddColumn("overlay");
        int failed = 0, done = 0;
        foreach (var result in explainer.Explain(PredictionInputs.Expand(settings.Inputs), explained, cancellationToken))
        {
            var overlay = folder.Add(result);
            if (result.Explanation is not { } e)
            {
                failed++;
                Console.Error.WriteLine($"cannot explain {result.Path}: {result.Error}");
                continue;
            }
            done++;
            var peak = e.Heatmap.IsEmpty ? "none" : PeakRegion(e.Heatmap).Describe();
            var border = e.Heatmap.IsEmpty ? "-" : e.Heatmap.BorderShare().ToString("0.00", c);
            table.AddRow(Markup.Escape(result.Path), Markup.Escape(result.Predicted!), e.Probabilities[e.PredictedClass].ToString("0.000", c),
                Markup.Escape(result.Explained!), peak, border, Markup.Escape(overlay!));
        }
        folder.Complete();
        if (done > 0) AnsiConsole.Write(table);
        Console.Error.WriteLine($"{done} image(s) explained{(failed > 0 ? $", {failed} could not be read" : "")}; overlays and {ExplanationFolder.JsonLinesFileName} in {folder.Folder}.");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>The heatmap's hottest cell as a region, to name where it lies.</summary>
    private static ImageRegion PeakRegion(Heatmap heatmap)
    {
        var (x, y) = heatmap.Peak;
        return new ImageRegion(x, y, x, y);
    }
}
