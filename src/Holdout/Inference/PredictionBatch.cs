namespace Holdout.Inference;

/// <summary>
/// Prepared images for one forward pass: normalised floats (N x 3 x size x size) or, for a model that normalises
/// inside its graph, 8-bit RGB pixels (N x size x size x 3). Exactly one of the two arrays is set.
/// </summary>
internal sealed record PredictionBatch(float[]? Values, byte[]? Pixels, int Count, int Size);
