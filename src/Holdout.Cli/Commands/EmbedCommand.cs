using Holdout.Inference;
using Holdout.Models;

namespace Holdout.Cli.Commands;

/// <summary>
/// <c>holdout embed RUN IMAGES... --out FILE</c> or <c>holdout embed --model NAME [--weights W] IMAGES... --out FILE</c>:
/// the backbone's pooled features of images, written as a NumPy array or JSON lines (<see cref="EmbeddingFile"/>).
/// </summary>
internal sealed class EmbedCommand : Command<EmbedCommand.Settings>
{
    public sealed class Settings : DecodingSettings
    {
        [CommandArgument(0, "<INPUTS>")]
        [Description("RUN then IMAGES: a run folder written by 'holdout train' (its best.holdout) or a .holdout bundle, then images, folders (every file under them) or CSV manifests (first column: image path), as for 'holdout predict'. With --model: the images alone.")]
        public string[] Inputs { get; init; } = [];

        [CommandOption("-o|--out <FILE>")]
        [Description("Where the features go (required). FILE.npy: a float32 N x D NumPy array, one row per embedded image in input order, with FILE.paths.txt beside it listing the images, one path per line, in row order. FILE.jsonl: one line per embedded image, {\"path\": ..., \"features\": [[...]]}. Unreadable images have no row.")]
        public string? Out { get; init; }

        [CommandOption("--model <NAME>")]
        [Description("Embed with a model built from weights instead of a run: an architecture as for 'holdout train --model' (e.g. resnet18, resnet50). Its classifier head is not used.")]
        public string? Model { get; init; }

        [CommandOption("--weights <WEIGHTS>")]
        [Description("With --model: bundled (offline ImageNet weights; resnet18 only, and its default), none (random, seeded: the same every time) or a torchvision-format weights FILE, as for 'holdout train --weights'. Required for the other architectures.")]
        public string? Weights { get; init; }

        [CommandOption("--image-size <PX>")]
        [Description("With --model: the side images are rendered at, in pixels. Default: 224 (128 for simple-cnn).")]
        public int? ImageSize { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Images per forward pass.")]
        [DefaultValue(32)]
        public int BatchSize { get; init; } = 32;

        [CommandOption("--precision <P>")]
        [Description("auto, fp32 or bf16. Default: the run's own precision (which reproduces the features its evaluation computed); auto for a .holdout bundle or --model. bf16 features are written as float32.")]
        public string? Precision { get; init; }

        /// <summary>The architecture of --model, or null when a run is embedded.</summary>
        public Architecture? Architecture => Model is null ? null : OptionNames.Parse<Architecture>("--model", Model);

        /// <summary>The weights of --model: --weights, or bundled for resnet18.</summary>
        public string EffectiveWeights => Weights ?? Architecture switch
        {
            Models.Architecture.ResNet18 => ModelOptions.BundledWeights,
            Models.Architecture.SimpleCnn => throw new HoldoutException(
                "--model simple-cnn needs --weights none: it has no pretrained weights, so its features come from random (seeded) weights. Pass --weights none, or embed with a run that trained it."),
            _ => throw new HoldoutException($"--model {Model} needs --weights: only resnet18 has bundled weights. Pass --weights FILE (torchvision-format weights for {Model}) " +
                                            "or --weights none (random, seeded weights)."),
        };

        /// <summary>The image side of --model: --image-size or the default training uses.</summary>
        public int EffectiveImageSize => ImageSize ?? (Architecture == Models.Architecture.SimpleCnn ? 128 : 224);

        /// <summary>The run folder or bundle, or null with --model.</summary>
        public string? Run => Model is null ? Inputs[0] : null;

        /// <summary>The images, folders and manifests to embed.</summary>
        public string[] Images => Model is null ? Inputs[1..] : Inputs;

        public EmbedderOptions ToOptions()
        {
            var options = new EmbedderOptions(BatchSize, Workers, Precision is null ? null : OptionNames.Parse<Models.Precision>("--precision", Precision));
            options.Validate();
            return options;
        }

        protected override void Check()
        {
            base.Check();
            if (string.IsNullOrWhiteSpace(Out))
                throw new HoldoutException("--out FILE is required: FILE.npy (a NumPy array, with the image paths in FILE.paths.txt) or FILE.jsonl (one JSON line per image).");
            EmbeddingFile.ValidatePath(Out);
            ToOptions();
            if (Model is null)
            {
                if (Weights is not null)
                    throw new HoldoutException("--weights is only for --model: a run's weights are in its bundle. Leave --weights out, or pass --model NAME instead of the run to embed with other weights.");
                if (ImageSize is not null)
                    throw new HoldoutException("--image-size is only for --model: a run's model renders images at the size it was evaluated at. Leave --image-size out, or pass --model NAME instead of the run.");
                if (Inputs.Length < 2)
                {
                    throw new HoldoutException(Inputs.Length == 0
                        ? "Give a run folder (or --model NAME) and at least one image, e.g. holdout embed runs/my-run photos/ --out feats.npy"
                        : $"Give at least one image, folder or CSV manifest after the run '{Inputs[0]}', e.g. holdout embed runs/my-run photos/ --out feats.npy (or pass --model NAME to embed without a run).");
                }
                return;
            }
            _ = Architecture;
            _ = EffectiveWeights;
            if (Inputs.Length == 0) throw new HoldoutException($"Give at least one image, folder or CSV manifest to embed, e.g. holdout embed --model {Model} photos/ --out feats.npy");
            if (IsRunOrBundle(Inputs[0]))
            {
                throw new HoldoutException($"Give either a run or --model, not both: '{Inputs[0]}' is a run or .holdout bundle, and --model builds a model from --weights. " +
                                           $"Leave --model out to embed with the run's model, or drop '{Inputs[0]}'.");
            }
        }

        /// <summary>A .holdout bundle, or a folder that holds one (a run folder).</summary>
        private static bool IsRunOrBundle(string path) =>
            (File.Exists(path) && string.Equals(Path.GetExtension(path), ".holdout", StringComparison.OrdinalIgnoreCase)) ||
            (Directory.Exists(path) && Directory.EnumerateFiles(path, "*.holdout", SearchOption.TopDirectoryOnly).Any());
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var imageSettings = settings.UseImageSettings();
        var paths = PredictionInputs.Expand(settings.Images).ToList();
        if (paths.Count == 0)
        {
            throw new HoldoutException($"No image to embed: {string.Join(", ", settings.Images.Select(i => $"'{i}'"))} hold{(settings.Images.Length == 1 ? "s" : "")} no image files. " +
                                       "Pass images, folders of images or CSV manifests.");
        }
        using var embedder = settings.Run is { } run
            ? LoadRun(run, settings.ToOptions())
            : Embedder.Create(settings.Architecture!.Value, settings.EffectiveWeights, settings.EffectiveImageSize, settings.ToOptions());
        var failed = 0;
        IEnumerable<ImageEmbedding> Reported()
        {
            foreach (var result in embedder.Embed(paths, cancellationToken))
            {
                if (!result.Succeeded)
                {
                    failed++;
                    Console.Error.WriteLine($"cannot embed {result.Path}: {result.Error}");
                }
                yield return result;
            }
        }
        var (rows, dimension) = EmbeddingFile.Write(settings.Out!, Reported());
        var written = EmbeddingFile.PathsFile(settings.Out!) is { } pathsFile ? $"{settings.Out} (paths in {pathsFile})" : settings.Out;
        Console.Error.WriteLine($"{rows} image(s) embedded ({dimension} features, {embedder.Description}) -> {written}; {failed} failed");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>The run's embedder; a first input that is a file but no bundle (an image, say) is named as the misplaced run.</summary>
    private static Embedder LoadRun(string run, EmbedderOptions options)
    {
        try
        {
            return Embedder.Load(run, options);
        }
        catch (HoldoutException e) when (File.Exists(run) && !string.Equals(Path.GetExtension(run), ".holdout", StringComparison.OrdinalIgnoreCase))
        {
            throw new HoldoutException($"The first input '{run}' is not a run folder or a .holdout bundle: without --model, it names the run whose model embeds the images that follow. " +
                                       $"Put the run first, or pass --model NAME to embed with a model built from weights. ({e.Message})", e);
        }
    }
}
