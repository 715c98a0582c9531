using Holdout.Imaging;

namespace Holdout.Inference;

/// <summary>What runs the model for <see cref="Predictor"/>: Holdout's own TorchSharp model, or an exported ONNX file in ONNX Runtime.</summary>
internal interface IPredictionBackend : IDisposable
{
    /// <summary>The model's classes, in output order.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>How every image is prepared.</summary>
    Preprocessing Preprocessing { get; }

    /// <summary>True when the model takes 8-bit RGB pixels; false when it takes normalised floats.</summary>
    bool TakesPixels { get; }

    /// <summary>
    /// The class probabilities of a batch (N x classes, row-major), averaged over the image and the flips
    /// <paramref name="options"/> asks for. Safe to call from several threads.
    /// </summary>
    float[] Probabilities(PredictionBatch batch, PredictorOptions options);
}
