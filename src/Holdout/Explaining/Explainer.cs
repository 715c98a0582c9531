using Holdout.Imaging;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Explaining;

/// <summary>
/// Explains a trained model's predictions on image files with <see cref="GradCam"/>: loads a run's model (or takes
/// one) once, prepares each image exactly as evaluation and <see cref="Predictor"/> do (the model's own
/// <see cref="Preprocessing.ForEvaluation"/>), and explains them in batches. A file that cannot be read gives a result
/// with its <see cref="ImageExplanation.Error"/>; the other images are still explained. Not thread-safe.
/// </summary>
public sealed class Explainer : IDisposable
{
    private readonly ImageClassifier _model;
    private readonly bool _ownsModel;
    private readonly IDisposable? _folding;

    /// <summary>Explains with an already loaded model (which stays the caller's to dispose; its mode is kept).</summary>
    /// <param name="model">The trained classifier.</param>
    /// <param name="options">Batch size, workers and pixel limit. Defaults to <see cref="ExplainerOptions"/>'s defaults.</param>
    public Explainer(ImageClassifier model, ExplainerOptions? options = null)
        : this(model, Validate(options), ownsModel: false)
    {
        ArgumentNullException.ThrowIfNull(model);
    }

    private Explainer(ImageClassifier model, ExplainerOptions options, bool ownsModel)
    {
        NativeRuntime.EnsureInitialized();
        _model = model;
        _ownsModel = ownsModel;
        Options = options;
        // A model the explainer owns cannot change, so its BatchNorm-folded snapshot is made once (GradCam folds a
        // caller's model per batch, in case the caller trains it in between).
        if (ownsModel) _folding = _model.FoldedInference();
    }

    /// <summary>
    /// Loads the model of a run folder (its <c>best.holdout</c>) or of a <c>.holdout</c> bundle once, in the run's own
    /// precision unless <see cref="ExplainerOptions.Precision"/> says otherwise.
    /// </summary>
    /// <param name="runOrBundle">A run folder written by <c>holdout train</c> or a <c>.holdout</c> bundle.</param>
    /// <param name="options">Batch size, workers, precision and pixel limit.</param>
    /// <exception cref="HoldoutException">The path is neither (an exported ONNX file cannot be explained), or the file is damaged.</exception>
    public static Explainer Load(string runOrBundle, ExplainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runOrBundle);
        options = Validate(options);
        if (Predictor.IsOnnx(runOrBundle))
        {
            throw new HoldoutException($"'{runOrBundle}' is an exported ONNX model; Grad-CAM needs the model's gradients, which only the run it came from has. " +
                                       "Pass the run folder written by 'holdout train' (or its best.holdout).");
        }
        var (model, _) = RunFolderModel.Load(runOrBundle, options.Precision, options.BatchSize);
        return new Explainer(model, options, ownsModel: true);
    }

    /// <summary>The options in use.</summary>
    public ExplainerOptions Options { get; }

    /// <summary>The model's classes, in output order.</summary>
    public IReadOnlyList<string> ClassNames => _model.ClassNames;

    /// <summary>How every image is prepared: the model's evaluation preprocessing.</summary>
    public Preprocessing Preprocessing => _model.Spec.Preprocessing.ForEvaluation();

    /// <summary>The index of the class named <paramref name="name"/> (exact, then ignoring case).</summary>
    /// <param name="name">A class name.</param>
    /// <exception cref="HoldoutException">The model has no such class; the message lists its classes.</exception>
    public int ClassIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = ClassNames.ToList().IndexOf(name);
        if (index < 0)
        {
            var folded = ClassNames.Where(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (folded.Count == 1) index = ClassNames.ToList().IndexOf(folded[0]);
        }
        return index >= 0 ? index
            : throw new HoldoutException($"The model has no class '{name}'. Its classes are: {string.Join(", ", ClassNames)}.");
    }

    /// <summary>
    /// Explains a stream of images in batches of <see cref="ExplainerOptions.BatchSize"/>, yielding one result per path
    /// in the given order as each batch completes (the stream is read lazily, one batch at a time).
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="explainedClass">The class to explain for every image (<see cref="ClassIndex"/>), or null for each image's predicted class.</param>
    /// <param name="cancellationToken">Stops between images and batches.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="explainedClass"/> is not a class of the model.</exception>
    public IEnumerable<ImageExplanation> Explain(IEnumerable<string> paths, int? explainedClass = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (explainedClass is { } c) ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)c, (uint)ClassNames.Count, nameof(explainedClass));
        return Batches(paths, explainedClass, cancellationToken);
    }

    private IEnumerable<ImageExplanation> Batches(IEnumerable<string> paths, int? explainedClass, CancellationToken cancellationToken)
    {
        foreach (var chunk in paths.Chunk(Options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var result in ExplainBatch(chunk, explainedClass, cancellationToken)) yield return result;
        }
    }

    private ImageExplanation[] ExplainBatch(string[] paths, int? explainedClass, CancellationToken cancellationToken)
    {
        var preprocessing = Preprocessing;
        var size = preprocessing.InputSize;
        var (images, errors) = PreparedImages.Render(paths, preprocessing, pixels: false, Options.EffectiveWorkers, Options.MaxPixels, cancellationToken);
        var results = new ImageExplanation[paths.Length];
        for (var i = 0; i < paths.Length; i++) results[i] = new ImageExplanation(paths[i], ClassNames, null, null, size, errors[i]);
        var readable = Enumerable.Range(0, paths.Length).Where(i => images[i] is not null).ToArray();
        if (readable.Length == 0) return results;
        using var scope = NewDisposeScope();
        var batch = tensor(PreparedImages.Concatenate(readable.Select(i => (float[])images[i]!)), [readable.Length, 3, size, size])
            .to(ModelOutputs.DeviceOf(_model));
        var explained = GradCam.Explain(_model, batch, explainedClass is { } c ? Enumerable.Repeat(c, readable.Length).ToArray() : null);
        for (var r = 0; r < readable.Length; r++)
        {
            var i = readable[r];
            results[i] = new ImageExplanation(paths[i], ClassNames, explained.Explanations[r], HeatmapOverlay.Pixels(batch[r], preprocessing), size, null);
        }
        return results;
    }

    private static ExplainerOptions Validate(ExplainerOptions? options)
    {
        options ??= new ExplainerOptions();
        options.Validate();
        return options;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _folding?.Dispose();
        if (_ownsModel) _model.Dispose();
    }
}
