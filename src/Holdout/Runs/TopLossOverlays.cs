using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Explaining;
using Holdout.Metrics;
using Holdout.Models;
using static TorchSharp.torch;

namespace Holdout.Runs;

/// <summary>
/// Grad-CAM overlays of the report's top-losses gallery, kept in the run folder (<c>gradcam/</c>) so that
/// <c>holdout report RUN</c> rebuilds the gallery from the folder alone, as it does the thumbnails. Written at the end
/// of a training run, where the trained model is at hand: for each of the <see cref="Count"/> highest-loss test images,
/// the evidence for the predicted class and, for a wrong prediction, for the true class, drawn over the image as the
/// model saw it (<see cref="HeatmapOverlay"/>). One batch of at most twice <see cref="Count"/> images, one backbone pass.
/// </summary>
/// <remarks><c>gradcam/index.json</c> names each image's path, true and predicted class and overlay files; the report
/// uses an overlay only where the path and both classes match its own gallery entry, so a stale folder shows nothing
/// rather than the wrong picture.</remarks>
internal static class TopLossOverlays
{
    /// <summary>How many top-loss images get overlays: the gallery's size.</summary>
    public const int Count = 16;

    /// <summary>One image's overlays as the report reads them: encoded images, null where there is none.</summary>
    internal sealed record Overlays(string TrueLabel, string PredictedLabel, byte[]? Predicted, byte[]? True);

    /// <summary>Replaces <c>gradcam/</c> with the overlays of <paramref name="metrics"/>' top losses and returns how many images got them.</summary>
    /// <param name="folder">The run's <c>gradcam/</c> folder.</param>
    /// <param name="model">The trained model, at its evaluation size.</param>
    /// <param name="samples">The evaluated images, in the order of <paramref name="metrics"/>' samples.</param>
    /// <param name="metrics">Metrics of the evaluation, with per-sample losses.</param>
    /// <param name="workers">Decoding workers.</param>
    public static int Write(string folder, ImageClassifier model, IReadOnlyList<ImageSample> samples, ClassificationMetrics metrics, int workers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(metrics);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var top = metrics.TopLosses(Count);
        if (top.Count == 0) return 0;
        var preprocessing = model.Spec.Preprocessing;
        var loader = BatchLoader.ForEvaluation([.. top.Select(t => samples[t.Index])], preprocessing, new BatchLoaderOptions(BatchSize: top.Count, Workers: workers));
        using var batch = loader.Batches(0).Single();
        using var scope = NewDisposeScope();
        // The predicted class of every image, then the true class of the wrong ones, in one batch.
        var wrong = Enumerable.Range(0, top.Count).Where(i => top[i].TrueLabel != top[i].PredictedLabel).ToList();
        var images = wrong.Count == 0 ? batch.Images : cat([batch.Images, batch.Images.index_select(0, tensor(wrong.Select(i => (long)i).ToArray()))]);
        int[] classes = [.. top.Select(t => t.PredictedLabel), .. wrong.Select(i => top[i].TrueLabel)];
        var explanations = GradCam.Explain(model, images, classes).Explanations;

        Directory.CreateDirectory(folder);
        // images[image] is the picture of evaluated sample 'row' (the true-class copies follow the predicted ones)
        string Save(int image, int row, string name)
        {
            var file = string.Create(CultureInfo.InvariantCulture, $"test-{row:D5}-{name}.png");
            AtomicFile.WriteAllBytes(Path.Combine(folder, file), HeatmapOverlay.Png(images[image], preprocessing, explanations[image].Heatmap));
            return file;
        }
        var entries = new JsonArray();
        for (var i = 0; i < top.Count; i++)
        {
            var w = wrong.IndexOf(i);
            entries.Add(new JsonObject
            {
                ["row"] = top[i].Index,
                ["path"] = samples[top[i].Index].Path,
                ["true"] = metrics.ClassNames[top[i].TrueLabel],
                ["predicted"] = metrics.ClassNames[top[i].PredictedLabel],
                ["predicted_overlay"] = Save(i, top[i].Index, "predicted"),
                ["true_overlay"] = w < 0 ? null : Save(top.Count + w, top[i].Index, "true"),
            });
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "index.json"), StrictJson.Write(new JsonObject { ["split"] = "test", ["images"] = entries }, RunConfig.Json));
        return top.Count;
    }

    /// <summary>The overlays recorded in <paramref name="folder"/>, by image path; empty when there are none.</summary>
    /// <param name="folder">The run's <c>gradcam/</c> folder.</param>
    /// <exception cref="HoldoutException">index.json is not what <see cref="Write"/> writes.</exception>
    public static IReadOnlyDictionary<string, Overlays> Read(string folder)
    {
        var index = Path.Combine(folder, "index.json");
        var result = new Dictionary<string, Overlays>(StringComparer.Ordinal);
        if (!File.Exists(index)) return result;
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(File.ReadAllText(index));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new HoldoutException($"'{index}' is damaged ({e.Message}). Delete the gradcam folder and run 'holdout report' again; the report is then made without Grad-CAM overlays.", e);
        }
        byte[]? Load(string? file) => file is not null && File.Exists(Path.Combine(folder, Path.GetFileName(file))) ? File.ReadAllBytes(Path.Combine(folder, Path.GetFileName(file))) : null;
        foreach (var entry in document?["images"] as JsonArray ?? [])
        {
            if (Text(entry?["path"]) is { } path && Text(entry?["true"]) is { } trueLabel && Text(entry?["predicted"]) is { } predicted)
                result[path] = new Overlays(trueLabel, predicted, Load(Text(entry?["predicted_overlay"])), Load(Text(entry?["true_overlay"])));
        }
        return result;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
