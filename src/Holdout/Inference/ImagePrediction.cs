using System.Text.Json.Nodes;

namespace Holdout.Inference;

/// <summary>
/// What <see cref="Predictor"/> made of one image: the probability of every class, or why the file could not be
/// classified (<see cref="Error"/>; then there are no probabilities).
/// </summary>
/// <param name="Path">The image file, as it was given.</param>
/// <param name="ClassNames">The model's classes, in output order.</param>
/// <param name="Probabilities">The probability of each class (same order), or null when the file could not be read.</param>
/// <param name="Error">Why the file could not be read, or null when it was classified.</param>
public sealed record ImagePrediction(string Path, IReadOnlyList<string> ClassNames, float[]? Probabilities, string? Error)
{
    /// <summary>True when the image was classified.</summary>
    public bool Succeeded => Probabilities is not null;

    /// <summary>The index of the most probable class (the lowest index on ties), or -1 when the file could not be read.</summary>
    public int PredictedIndex
    {
        get
        {
            if (Probabilities is null) return -1;
            int best = 0;
            for (int i = 1; i < Probabilities.Length; i++) if (Probabilities[i] > Probabilities[best]) best = i;
            return best;
        }
    }

    /// <summary>The most probable class, or null when the file could not be read.</summary>
    public string? Label => Probabilities is null ? null : ClassNames[PredictedIndex];

    /// <summary>The probability of <see cref="Label"/> (0 when the file could not be read).</summary>
    public float Confidence => Probabilities is null ? 0 : Probabilities[PredictedIndex];

    /// <summary>
    /// One JSON line: <c>{"path","label","probability","probabilities":{class: p},"top":[{"label","probability"}]}</c>,
    /// or <c>{"path","error"}</c> when the file could not be read. Strict JSON: a probability that is not a number
    /// (a diverged model) is null.
    /// </summary>
    /// <param name="top">How many classes <c>top</c> lists.</param>
    public string ToJson(int top)
    {
        if (!Succeeded) return StrictJson.Write(new JsonObject { ["path"] = Path, ["error"] = Error }, StrictJson.ReadableCompact);
        var probabilities = new JsonObject();
        for (int i = 0; i < ClassNames.Count; i++) probabilities[ClassNames[i]] = Probabilities![i];
        return StrictJson.Write(new JsonObject
        {
            ["path"] = Path,
            ["label"] = Label,
            ["probability"] = Confidence,
            ["probabilities"] = probabilities,
            ["top"] = new JsonArray([.. Top(top).Select(t => (JsonNode)new JsonObject { ["label"] = t.Label, ["probability"] = t.Probability })]),
        }, StrictJson.ReadableCompact);
    }

    /// <summary>The <paramref name="count"/> most probable classes, most probable first (ties: lower index first).</summary>
    /// <param name="count">How many; more than the number of classes gives all of them.</param>
    public IReadOnlyList<ClassProbability> Top(int count)
    {
        if (Probabilities is null) return [];
        var p = Probabilities;
        return [.. Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).Take(Math.Max(0, count)).Select(i => new ClassProbability(ClassNames[i], p[i]))];
    }
}
