using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Models;

namespace Holdout.Inference;

/// <summary>
/// Where a run folder written by <c>holdout train</c> keeps the model to serve, and the precision it recorded: all that
/// inference needs to know of a run folder (the run's own code, in Holdout.Runs, names these files through it).
/// </summary>
internal static class RunFolderModel
{
    /// <summary>The bundle of the best epoch.</summary>
    public const string BestFileName = "best.holdout";

    /// <summary>The bundle after the last completed epoch.</summary>
    public const string LastFileName = "last.holdout";

    /// <summary>Every option, seed and version of the run.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>
    /// The bundle a path names: a run folder's <c>best.holdout</c> (its <c>last.holdout</c> when no epoch ever improved
    /// the monitored metric, e.g. without validation images: then the run evaluated its last weights too), or the path
    /// itself when it is a bundle file. Returns the bundle and the run folder (null for a bundle file).
    /// </summary>
    /// <exception cref="HoldoutException">The path does not exist, or the folder has no <c>best.holdout</c>.</exception>
    public static (string Bundle, string? RunFolder) Locate(string runOrBundle)
    {
        if (File.Exists(runOrBundle)) return (runOrBundle, null);
        if (!Directory.Exists(runOrBundle))
            throw new HoldoutException($"'{runOrBundle}' does not exist. Expected a run folder written by 'holdout train' (e.g. runs/20261129-101500-resnet18) or a model bundle file (best.holdout).");
        string best = Path.Combine(runOrBundle, BestFileName), last = Path.Combine(runOrBundle, LastFileName);
        if (!File.Exists(best) && File.Exists(last)) return (last, runOrBundle);
        if (!File.Exists(best))
            throw new HoldoutException(File.Exists(Path.Combine(runOrBundle, ConfigFileName))
                ? $"The run '{runOrBundle}' has no best.holdout yet: it has not completed an epoch. Continue it with 'holdout train --resume {runOrBundle}'."
                : $"'{runOrBundle}' is not a run folder: it has neither config.json nor best.holdout. Pass a folder written by 'holdout train' or a .holdout bundle file.");
        return (best, runOrBundle);
    }

    /// <summary>
    /// Loads the model a path names (<see cref="Locate"/>) for inference, in evaluation mode, in <paramref name="precision"/>
    /// or, when null, the precision the run recorded (<see cref="RecordedPrecision"/>), so its outputs equal what the
    /// run's evaluation computed. The caller owns the model.
    /// </summary>
    /// <param name="runOrBundle">A run folder or a <c>.holdout</c> bundle file.</param>
    /// <param name="precision">The number format, or null for the run's own.</param>
    /// <param name="batchSize">The batch size <see cref="Precision.Auto"/> measures with.</param>
    /// <exception cref="HoldoutException">The path is neither, or the bundle is damaged.</exception>
    public static (ImageClassifier Model, string Bundle) Load(string runOrBundle, Precision? precision, int batchSize)
    {
        Native.NativeRuntime.EnsureInitialized();
        var (bundle, run) = Locate(runOrBundle);
        var model = ModelBundle.Load(bundle).Model;
        try
        {
            model.Precision = PrecisionChoices.Choose(model, precision ?? RecordedPrecision(run), PrecisionWorkload.Inference, batchSize, model.EvaluationSize).Precision;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, bundle);
    }

    /// <summary>
    /// The precision a run computed in (its config's <c>effective.precision</c>), so serving it matches what it was
    /// evaluated with: auto for a bundle file or a folder without config, float32 for runs that predate the record.
    /// </summary>
    /// <exception cref="HoldoutException">The config cannot be read.</exception>
    public static Precision RecordedPrecision(string? runFolder)
    {
        if (runFolder is null) return Precision.Auto;
        var config = Path.Combine(runFolder, ConfigFileName);
        if (!File.Exists(config)) return Precision.Auto;
        string? recorded;
        try
        {
            recorded = JsonNode.Parse(File.ReadAllText(config))?["effective"]?["precision"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            throw new HoldoutException($"The run's '{config}' cannot be read ({e.Message}). Restore it from the run folder's backup or train the run again.", e);
        }
        return recorded is null ? Precision.Fp32 : OptionNames.Parse<Precision>("precision", recorded);
    }
}
