using Holdout.Imaging;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;

namespace Holdout.Inference;

/// <summary>
/// Classifies images with a trained model: loads a bundle (or an ONNX file written by <c>holdout export</c>) once,
/// then classifies single images or streams of them in batches. Each image is prepared exactly as evaluation
/// prepares it (the model's own <see cref="Imaging.Preprocessing"/>, decode, evaluation resize, normalisation), so a
/// prediction equals what <c>holdout evaluate</c> computed for the same file. A file that cannot be read gives a
/// result with its <see cref="ImagePrediction.Error"/>; the other images are still classified.
/// </summary>
/// <remarks>
/// Thread-safe: any number of threads may call <see cref="Predict(string)"/> and
/// <see cref="Predict(IEnumerable{string}, CancellationToken)"/> at once. Decoding runs in parallel per call; the
/// TorchSharp forward passes are serialised (the engine already uses every core for one pass). With test-time
/// augmentation the probabilities of the image and of its flips are averaged. An ONNX file runs in ONNX Runtime,
/// with its classes and preprocessing read from the file's metadata (<see cref="OnnxModelInfo"/>).
/// </remarks>
public sealed class Predictor : IDisposable
{
    private readonly IPredictionBackend _backend;

    /// <summary>Classifies with an already loaded model (which stays the caller's to dispose; it is put in evaluation mode).</summary>
    /// <param name="model">The trained classifier.</param>
    /// <param name="options">Batch size, workers and test-time augmentation. Defaults to <see cref="PredictorOptions"/>'s defaults.</param>
    public Predictor(ImageClassifier model, PredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = Validate(options);
        _backend = new TorchBackend(model, ownsModel: false);
    }

    private Predictor(IPredictionBackend backend, PredictorOptions options, string path)
    {
        _backend = backend;
        Options = options;
        BundlePath = path;
    }

    /// <summary>
    /// Loads the model of a run folder (its <c>best.holdout</c>), of a bundle file, or of an ONNX file written by
    /// <c>holdout export</c> (a path ending in <c>.onnx</c>, run in ONNX Runtime) once, for any number of predictions.
    /// </summary>
    /// <param name="runOrBundle">A run folder written by <c>holdout train</c>, a <c>.holdout</c> bundle or an exported <c>.onnx</c> file.</param>
    /// <param name="options">Batch size, workers and test-time augmentation. Defaults to <see cref="PredictorOptions"/>'s defaults.</param>
    /// <exception cref="HoldoutException">The path is none of these, or the file is damaged.</exception>
    public static Predictor Load(string runOrBundle, PredictorOptions? options = null)
    {
        options = Validate(options);
        if (IsOnnx(runOrBundle)) return new Predictor(new OnnxRuntimeBackend(runOrBundle), options, runOrBundle);
        var (model, bundle) = RunFolderModel.Load(runOrBundle, options.Precision, options.BatchSize);
        return new Predictor(new TorchBackend(model, ownsModel: true), options, bundle);
    }

    /// <summary>Whether <paramref name="path"/> names an ONNX model file (by its <c>.onnx</c> extension).</summary>
    /// <param name="path">A run folder, bundle or ONNX file.</param>
    public static bool IsOnnx(string path) =>
        string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(path);

    /// <summary>The bundle or ONNX file the model was loaded from, or null when a model was given.</summary>
    public string? BundlePath { get; }

    /// <summary>The options in use.</summary>
    public PredictorOptions Options { get; }

    /// <summary>The model's classes, in output order.</summary>
    public IReadOnlyList<string> ClassNames => _backend.ClassNames;

    /// <summary>How every image is prepared (the model's own preprocessing).</summary>
    public Preprocessing Preprocessing => _backend.Preprocessing;

    /// <summary>Classifies one image.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>Its prediction, or a result with <see cref="ImagePrediction.Error"/> when it cannot be read.</returns>
    public ImagePrediction Predict(string path) => PredictBatch([path], CancellationToken.None)[0];

    /// <summary>
    /// Classifies a stream of images in batches of <see cref="PredictorOptions.BatchSize"/>, yielding one result per
    /// path in the given order as each batch completes (the stream is read lazily, one batch ahead at most).
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="cancellationToken">Stops between images and batches.</param>
    public IEnumerable<ImagePrediction> Predict(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var chunk in paths.Chunk(Options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var result in PredictBatch(chunk, cancellationToken)) yield return result;
        }
    }

    private ImagePrediction[] PredictBatch(string[] paths, CancellationToken cancellationToken)
    {
        var preprocessing = Preprocessing.ForEvaluation();
        var takesPixels = _backend.TakesPixels;
        int size = preprocessing.InputSize;
        var (images, errors) = PreparedImages.Render(paths, preprocessing, takesPixels, Options.EffectiveWorkers, Options.MaxPixels, cancellationToken);

        var readable = Enumerable.Range(0, paths.Length).Where(i => images[i] is not null).ToArray();
        var results = new ImagePrediction[paths.Length];
        for (int i = 0; i < paths.Length; i++) results[i] = new ImagePrediction(paths[i], ClassNames, null, errors[i]);
        if (readable.Length == 0) return results;
        var batch = takesPixels
            ? new PredictionBatch(null, PreparedImages.Concatenate(readable.Select(i => (byte[])images[i]!)), readable.Length, size)
            : new PredictionBatch(PreparedImages.Concatenate(readable.Select(i => (float[])images[i]!)), null, readable.Length, size);
        var probabilities = _backend.Probabilities(batch, Options);
        int classes = ClassNames.Count;
        for (int r = 0; r < readable.Length; r++)
            results[readable[r]] = new ImagePrediction(paths[readable[r]], ClassNames, probabilities.AsSpan(r * classes, classes).ToArray(), null);
        return results;
    }

    private static PredictorOptions Validate(PredictorOptions? options)
    {
        options ??= new PredictorOptions();
        options.Validate();
        return options;
    }

    /// <inheritdoc/>
    public void Dispose() => _backend.Dispose();
}
