using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Holdout.Runs;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout export RUN|BUNDLE</c>: write the model as a standard ONNX file for ONNX Runtime.</summary>
internal sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : ValidatedSettings
    {
        [CommandArgument(0, "<RUN|BUNDLE>")]
        [Description("A run folder written by 'holdout train' (its best.holdout is exported) or a .holdout bundle.")]
        public string Model { get; init; } = "";

        [CommandOption("--out <FILE>")]
        [Description("The ONNX file to write (must end in .onnx). Default: model.onnx in the run folder, or the bundle's name with .onnx beside it.")]
        public string? Out { get; init; }

        [CommandOption("--opset <N>")]
        [Description("ONNX operator set, 11 to 21 (17 is read by ONNX Runtime 1.12 and later).")]
        [DefaultValue(OnnxExport.DefaultOpset)]
        public int Opset { get; init; } = OnnxExport.DefaultOpset;

        [CommandOption("--with-preprocessing")]
        [Description("Take uint8 RGB pixels (N x size x size x 3, already resized) and do colour order, scale, mean and std inside the graph, instead of normalised float32 N x 3 x size x size.")]
        public bool WithPreprocessing { get; init; }

        protected override void Check()
        {
            if (Out is not null && !string.Equals(Path.GetExtension(Out), ".onnx", StringComparison.OrdinalIgnoreCase))
                throw new HoldoutException($"--out '{Out}' does not end in .onnx. Expected a file name like model.onnx, so that 'holdout predict' recognises it.");
            ToOptions();
        }

        public OnnxExportOptions ToOptions()
        {
            var options = new OnnxExportOptions(Opset, WithPreprocessing);
            options.Validate();
            return options;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        NativeRuntime.EnsureInitialized();
        var (bundle, runFolder) = RunEvaluation.LocateBundle(settings.Model);
        var output = settings.Out ?? (runFolder is not null ? Path.Combine(runFolder, "model.onnx") : Path.ChangeExtension(bundle, ".onnx"));
        using var model = ModelBundle.Load(bundle).Model;
        OnnxExport.Save(model, output, settings.ToOptions());

        var c = CultureInfo.InvariantCulture;
        var size = model.Spec.Preprocessing.InputSize;
        var p = model.Spec.Preprocessing;
        var input = settings.WithPreprocessing
            ? $"uint8 [batch, {size}, {size}, 3] RGB pixels, resized to {size}x{size} ({p.EvalResize}); normalised inside the graph"
            : $"float32 [batch, 3, {size}, {size}], {p.ColorOrder}, {p.Scale}, mean [{string.Join(", ", p.Mean.Select(v => v.ToString(c)))}], std [{string.Join(", ", p.Std.Select(v => v.ToString(c)))}]";
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(Path.GetFullPath(output))).AddColumn("").AddColumn("");
        table.HideHeaders();
        table.AddRow("model", Markup.Escape($"{model.Spec.Architecture}, from {bundle}"));
        table.AddRow("input 'input'", Markup.Escape(input));
        table.AddRow("outputs", Markup.Escape($"'logits' and 'probabilities', float32 [batch, {model.ClassNames.Count}]"));
        table.AddRow("classes", Markup.Escape(string.Join(", ", model.ClassNames)));
        table.AddRow("opset", settings.Opset.ToString(c));
        table.AddRow("size", $"{new FileInfo(output).Length / 1e6:0.0} MB");
        AnsiConsole.Write(table);
        Console.Error.WriteLine($"Run it with ONNX Runtime, or: holdout predict {output} IMAGES");
        return 0;
    }
}
