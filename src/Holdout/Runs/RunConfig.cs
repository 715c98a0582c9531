using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Holdout.Models;
using Holdout.Native;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// A run's <c>config.json</c>, typed: every option (defaults included), the seed, the values actually used, the
/// backbone, the versions and the command line. Written once when a run starts; read by <c>--resume</c>, the doctor,
/// <c>evaluate</c> and the report.
/// </summary>
/// <param name="Options">The options the run was started with.</param>
/// <param name="CommandLine">The command line, or null when started from code.</param>
/// <param name="Created">When the run started, or null when not recorded.</param>
/// <param name="Document">The whole document, for display.</param>
public sealed record RunConfig(TrainRunOptions Options, string? CommandLine, DateTimeOffset? Created, JsonObject Document)
{
    /// <summary>
    /// How Holdout writes its run files: indented, snake_case names, options by their command-line names, strict JSON
    /// (<see cref="StrictJson"/>: non-finite numbers as null).
    /// </summary>
    internal static readonly JsonSerializerOptions Json =
        StrictJson.Create(indented: true, JsonNamingPolicy.SnakeCaseLower, encoder: null, new JsonStringEnumConverter(OptionNames.Policy));

    /// <summary>The seed that drove the run.</summary>
    public long Seed => Options.Seed;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="path">A run's <c>config.json</c>.</param>
    /// <exception cref="HoldoutException">The file is missing, is not JSON, or has no options section.</exception>
    public static RunConfig Read(string path)
    {
        if (!File.Exists(path))
            throw new HoldoutException($"'{Path.GetDirectoryName(path)}' is not a run folder: it has no config.json. Pass the folder 'holdout train' created (e.g. runs/20261129-101500-resnet18).");
        JsonObject document;
        TrainRunOptions options;
        try
        {
            document = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("the document is empty");
            options = document["options"].Deserialize<TrainRunOptions>(Json) ?? throw new JsonException("it has no options section");
            // Runs written before --precision existed trained in float32; they resume in float32.
            if (document["options"]?["precision"] is null) options = options with { Precision = Precision.Fp32 };
            // ...and trained their head by epochs over images: they resume without the linear probe.
            if (document["options"]?["probe"] is null) options = options with { Probe = false };
            // ...and their unfrozen BatchNorm layers used batch statistics: they resume so.
            if (document["options"] is JsonObject written && !written.ContainsKey("batch_norm") && !options.TrainBatchNorm) options = options with { BatchNorm = BatchNormPolicy.FrozenStaysInEval };
            // ...and ran every planned all-layers epoch after the probe: they resume without the fine-tune gate.
            if (document["options"] is JsonObject older && !older.ContainsKey("fine_tune_gate")) options = options with { FineTuneGate = null };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new HoldoutException($"'{path}' is not a config.json written by holdout train ({e.Message}). Restore it, or start a new run.", e);
        }
        var created = DateTimeOffset.TryParse(document["created"]?.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var c) ? c : (DateTimeOffset?)null;
        return new RunConfig(options, document["command_line"]?.GetValue<string>(), created, document);
    }

    /// <summary>Writes a new run's <c>config.json</c> atomically and returns what was written.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">The run's options.</param>
    /// <param name="commandLine">The command line, or null.</param>
    /// <param name="model">The model built from the options (its backbone specification is recorded).</param>
    /// <param name="precision">How the model's precision was chosen (recorded with both timings when auto measured them).</param>
    internal static RunConfig Write(string path, TrainRunOptions options, string? commandLine, ImageClassifier model, PrecisionChoice? precision = null)
    {
        var engine = EngineInfo.Describe();
        var created = DateTimeOffset.Now;
        var document = new JsonObject
        {
            ["command_line"] = commandLine,
            ["created"] = created.ToString("O", CultureInfo.InvariantCulture),
            ["seed"] = options.Seed,
            ["options"] = JsonSerializer.SerializeToNode(options, Json),
            ["effective"] = new JsonObject
            {
                ["data"] = options.Data ?? SampleData.Locate(),
                ["weights"] = options.EffectiveWeights,
                ["recipe"] = OptionNames.Of(options.EffectiveRecipe),
                ["image_size"] = options.EffectiveImageSize,
                ["learning_rate"] = options.EffectiveLearningRate,
                ["precision"] = OptionNames.Of(model.Precision),
                ["batch_norm"] = OptionNames.Of(options.EffectiveBatchNorm),
                ["workers"] = options.Workers > 0 ? options.Workers : Environment.ProcessorCount,
            },
            ["precision_choice"] = precision is null ? null : new JsonObject
            {
                ["requested"] = OptionNames.Of(precision.Requested),
                ["chosen"] = OptionNames.Of(precision.Precision),
                ["reason"] = precision.Reason,
                ["workload"] = precision.Workload is { } workload ? OptionNames.Of(workload) : null,
                ["batch_size"] = precision.Measured ? precision.BatchSize : null,
                ["image_size"] = precision.Measured ? precision.ImageSize : null,
                ["fp32_step_seconds"] = precision.Fp32Seconds,
                ["bf16_step_seconds"] = precision.Bf16Seconds,
                ["from_cache"] = precision.Measured ? precision.FromCache : null,
            },
            ["backbone"] = model.Spec.ToJson(),
            ["versions"] = new JsonObject
            {
                ["holdout"] = engine.HoldoutVersion,
                ["dotnet"] = engine.DotNetRuntime,
                ["os"] = engine.OperatingSystem,
                ["torchsharp"] = engine.TorchSharpVersion,
                ["libtorch"] = engine.LibTorchVersion,
                ["threads"] = engine.Threads,
                ["processor"] = engine.Processor,
                ["compatibility_loader"] = engine.Native.CompatibilityLoaderUsed,
            },
        };
        AtomicFile.WriteAllText(path, StrictJson.Write(document, Json));
        return new RunConfig(options, commandLine, created, document);
    }

    /// <summary>
    /// What a resumed run computes differently from how it started: the precision, the engine's thread count, the
    /// processor, libtorch and TorchSharp, each as <c>threads 2 -> 1</c>. Any of them changes the rounding of the
    /// remaining epochs, so they will not repeat an uninterrupted run bit for bit (docs/defaults-study.md measures how
    /// far one thread against two moves a run). Fields a config does not record (older runs) are not compared.
    /// </summary>
    /// <param name="now">The engine this process runs.</param>
    /// <param name="precision">The precision the resumed model computes in.</param>
    public IReadOnlyList<string> SetupChanges(EngineInfo now, Precision precision)
    {
        var changes = new List<string>();
        void Compare(string name, JsonNode? recorded, string current)
        {
            var was = recorded?.ToString();
            if (was is not null && was != current) changes.Add($"{name} {was} -> {current}");
        }
        Compare("precision", Document["effective"]?["precision"], OptionNames.Of(precision));
        Compare("threads", Document["versions"]?["threads"], now.Threads.ToString(CultureInfo.InvariantCulture));
        Compare("processor", Document["versions"]?["processor"], now.Processor);
        Compare("libtorch", Document["versions"]?["libtorch"], now.LibTorchVersion);
        Compare("TorchSharp", Document["versions"]?["torchsharp"], now.TorchSharpVersion);
        return changes;
    }

    /// <summary>
    /// The precision the run computed in when it started (<c>effective.precision</c>), when <paramref name="requested"/>
    /// is <see cref="Precision.Auto"/> and the run recorded one; null otherwise.
    /// </summary>
    /// <param name="requested">The precision the run's options ask for.</param>
    internal Precision? RecordedPrecision(Precision requested) =>
        requested == Precision.Auto && Document["effective"]?["precision"]?.ToString() is { } recorded && recorded != OptionNames.Of(Precision.Auto)
            ? OptionNames.Parse<Precision>("precision", recorded)
            : null;

    /// <summary>The document as flat key/value pairs (<c>options.epochs</c> = <c>5</c>), in document order, for display.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Flatten() => Flatten("", Document);

    /// <summary>A JSON value as (dotted key, text) pairs under <paramref name="prefix"/>: objects open up, arrays stay
    /// compact JSON, null reads "(default)".</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> Flatten(string prefix, JsonNode? node)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        Flatten(prefix, node, pairs);
        return pairs;
    }

    private static void Flatten(string prefix, JsonNode? node, List<KeyValuePair<string, string>> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o) Flatten(prefix.Length == 0 ? key : $"{prefix}.{key}", value, into);
                break;
            case JsonArray a:
                into.Add(new(prefix, StrictJson.Write(a, StrictJson.Compact)));
                break;
            case null:
                into.Add(new(prefix, "(default)"));
                break;
            default:
                into.Add(new(prefix, node.ToString()));
                break;
        }
    }
}
