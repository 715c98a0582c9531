using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Inference;

/// <summary>
/// Classifies images with a trained model: loads a bundle once, then classifies single images or streams of them in
/// batches. Each image is prepared exactly as evaluation prepares it (the bundle's own
/// <see cref="Imaging.Preprocessing"/>, decode, evaluation resize, normalisation), so a prediction equals what
/// <c>holdout evaluate</c> computed for the same file. A file that cannot be read gives a result with its
/// <see cref="ImagePrediction.Error"/>; the other images are still classified.
/// </summary>
/// <remarks>
/// Thread-safe: any number of threads may call <see cref="Predict(string)"/> and
/// <see cref="Predict(IEnumerable{string}, CancellationToken)"/> at once. Decoding runs in parallel per call; the
/// forward passes are serialised (the engine already uses every core for one pass). With test-time augmentation the
/// probabilities of the image and of its flips are averaged.
/// </remarks>
public sealed class Predictor : IDisposable
{
    private readonly ImageClassifier _model;
    private readonly bool _ownsModel;
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Classifies with an already loaded model (which stays the caller's to dispose; it is put in evaluation mode).</summary>
    /// <param name="model">The trained classifier.</param>
    /// <param name="options">Batch size, workers and test-time augmentation. Defaults to <see cref="PredictorOptions"/>'s defaults.</param>
    public Predictor(ImageClassifier model, PredictorOptions? options = null) : this(model, options ?? new PredictorOptions(), ownsModel: false)
    {
    }

    private Predictor(ImageClassifier model, PredictorOptions options, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        NativeRuntime.EnsureInitialized();
        _model = model;
        _ownsModel = ownsModel;
        Options = options;
        _model.eval();
    }

    /// <summary>
    /// Loads the model of a run folder (its <c>best.holdout</c>) or of a bundle file once, for any number of predictions.
    /// </summary>
    /// <param name="runOrBundle">A run folder written by <c>holdout train</c>, or a <c>.holdout</c> bundle.</param>
    /// <param name="options">Batch size, workers and test-time augmentation. Defaults to <see cref="PredictorOptions"/>'s defaults.</param>
    /// <exception cref="HoldoutException">The path is neither, or the bundle is damaged.</exception>
    public static Predictor Load(string runOrBundle, PredictorOptions? options = null)
    {
        options ??= new PredictorOptions();
        options.Validate();
        NativeRuntime.EnsureInitialized();
        var (bundle, _) = RunEvaluation.LocateBundle(runOrBundle);
        var model = ModelBundle.Load(bundle).Model;
        return new Predictor(model, options, ownsModel: true) { BundlePath = bundle };
    }

    /// <summary>The bundle the model was loaded from, or null when a model was given.</summary>
    public string? BundlePath { get; private init; }

    /// <summary>The options in use.</summary>
    public PredictorOptions Options { get; }

    /// <summary>The model's classes, in output order.</summary>
    public IReadOnlyList<string> ClassNames => _model.ClassNames;

    /// <summary>How every image is prepared (the bundle's own preprocessing).</summary>
    public Preprocessing Preprocessing => _model.Spec.Preprocessing;

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
        ObjectDisposedException.ThrowIf(_disposed, this);
        var preprocessing = Preprocessing;
        int length = 3 * preprocessing.InputSize * preprocessing.InputSize;
        var images = new float[paths.Length][];
        var errors = new string?[paths.Length];
        Parallel.For(0, paths.Length,
            new ParallelOptions { MaxDegreeOfParallelism = Options.EffectiveWorkers, CancellationToken = cancellationToken },
            () => new SampleRenderer(preprocessing, Options.MaxPixels),
            (i, _, renderer) =>
            {
                var values = new float[length];
                try
                {
                    renderer.Render(paths[i], null, values);
                    images[i] = values;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One bad file is that file's result; it never fails the others.
                    errors[i] = e.Message;
                }
                return renderer;
            },
            renderer => renderer.Dispose());

        var readable = Enumerable.Range(0, paths.Length).Where(i => images[i] is not null).ToArray();
        var probabilities = readable.Length == 0 ? [] : Forward(readable.Select(i => images[i]).ToArray(), preprocessing.InputSize);
        var results = new ImagePrediction[paths.Length];
        for (int i = 0; i < paths.Length; i++) results[i] = new ImagePrediction(paths[i], ClassNames, null, errors[i]);
        for (int r = 0; r < readable.Length; r++) results[readable[r]] = new ImagePrediction(paths[readable[r]], ClassNames, probabilities[r], null);
        return results;
    }

    private float[][] Forward(float[][] images, int size)
    {
        int count = images.Length, length = images[0].Length, classes = ClassNames.Count;
        var flat = new float[count * length];
        for (int i = 0; i < count; i++) images[i].CopyTo(flat, i * length);
        float[] output;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            var device = ModelOutputs.DeviceOf(_model);
            var input = torch.tensor(flat, [count, 3, size, size]).to(device);
            var sum = ModelOutputs.Probabilities(_model.forward(input));
            int views = 1;
            if (Options.FlipHorizontal)
            {
                sum = sum + ModelOutputs.Probabilities(_model.forward(input.flip(3)));
                views++;
            }
            if (Options.FlipVertical)
            {
                sum = sum + ModelOutputs.Probabilities(_model.forward(input.flip(2)));
                views++;
            }
            var mean = views == 1 ? sum : sum / views;
            output = mean.cpu().data<float>().ToArray();
        }
        var rows = new float[count][];
        for (int i = 0; i < count; i++) rows[i] = output.AsSpan(i * classes, classes).ToArray();
        return rows;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_ownsModel) _model.Dispose();
        }
    }
}
