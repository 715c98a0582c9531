namespace Holdout.Inference;

/// <summary>
/// What <see cref="Embedder"/> made of one image: the backbone's pooled features (the vector the classifier head
/// reads), or why the file could not be read (<see cref="Error"/>; then there are no features).
/// </summary>
/// <param name="Path">The image file, as it was given.</param>
/// <param name="Features">The pooled features (float32; the same length for every image of a model), or null when the file could not be read.</param>
/// <param name="Error">Why the file could not be read, or null when it was embedded.</param>
public sealed record ImageEmbedding(string Path, float[]? Features, string? Error)
{
    /// <summary>True when the image was embedded.</summary>
    public bool Succeeded => Features is not null;
}
