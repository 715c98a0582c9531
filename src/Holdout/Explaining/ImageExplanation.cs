using System.Text.Json.Nodes;
using Holdout.Imaging;

namespace Holdout.Explaining;

/// <summary>
/// What <see cref="Explainer"/> made of one image file: its Grad-CAM explanation and the prepared image the model saw
/// (8-bit RGB, for the overlay), or why the file could not be read (<see cref="Error"/>).
/// </summary>
/// <param name="Path">The image file, as it was given.</param>
/// <param name="ClassNames">The model's classes, in output order.</param>
/// <param name="Explanation">The heatmap, prediction and class explained, or null when the file could not be read.</param>
/// <param name="Pixels">The prepared image (<see cref="Size"/> x <see cref="Size"/> x 3, RGB), or null when the file could not be read.</param>
/// <param name="Size">The prepared image's side in pixels.</param>
/// <param name="Error">Why the file could not be read, or null when it was explained.</param>
public sealed record ImageExplanation(string Path, IReadOnlyList<string> ClassNames, GradCamExplanation? Explanation, byte[]? Pixels, int Size, string? Error)
{
    /// <summary>True when the image was explained.</summary>
    public bool Succeeded => Explanation is not null;

    /// <summary>The predicted class's name, or null when the file could not be read.</summary>
    public string? Predicted => Explanation is null ? null : ClassNames[Explanation.PredictedClass];

    /// <summary>The explained class's name, or null when the file could not be read.</summary>
    public string? Explained => Explanation is null ? null : ClassNames[Explanation.ExplainedClass];

    /// <summary>The heatmap drawn over the prepared image, as PNG bytes (<see cref="HeatmapOverlay"/>).</summary>
    /// <exception cref="InvalidOperationException">The file could not be read.</exception>
    public byte[] OverlayPng() => Explanation is null || Pixels is null
        ? throw new InvalidOperationException($"'{Path}' was not explained: {Error}")
        : HeatmapOverlay.Png(Pixels, Size, Size, Explanation.Heatmap);

    /// <summary>
    /// One JSON line: <c>{"path","predicted","probability","explained","explained_probability","peak":{"x","y"},
    /// "border_share","quadrants":{"top_left","top_right","bottom_left","bottom_right"},"overlay"}</c> (peak and shares in
    /// normalised image coordinates; the shares are null for an empty heatmap), or <c>{"path","error"}</c> when the
    /// file could not be read.
    /// </summary>
    /// <param name="overlay">The overlay's file name, or null to leave it out.</param>
    public string ToJson(string? overlay)
    {
        if (Explanation is not { } e) return StrictJson.Write(new JsonObject { ["path"] = Path, ["error"] = Error }, StrictJson.ReadableCompact);
        var heatmap = e.Heatmap;
        var (x, y) = heatmap.Peak;
        var (topLeft, topRight, bottomLeft, bottomRight) = heatmap.Quadrants;
        var json = new JsonObject
        {
            ["path"] = Path,
            ["predicted"] = Predicted,
            ["probability"] = e.Probabilities[e.PredictedClass],
            ["explained"] = Explained,
            ["explained_probability"] = e.Probabilities[e.ExplainedClass],
            ["peak"] = new JsonObject { ["x"] = x, ["y"] = y },
            ["border_share"] = heatmap.BorderShare(),
            ["quadrants"] = new JsonObject
            {
                ["top_left"] = topLeft,
                ["top_right"] = topRight,
                ["bottom_left"] = bottomLeft,
                ["bottom_right"] = bottomRight,
            },
        };
        if (overlay is not null) json["overlay"] = overlay;
        return StrictJson.Write(json, StrictJson.ReadableCompact);
    }
}
