using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Inference;

/// <summary>
/// Turns image files into the backbone's pooled features (<see cref="ImageClassifier.Features"/>: the vector the
/// classifier head reads), for similarity search, de-duplication, or as a parity oracle against another
/// implementation. Each image is prepared exactly as evaluation and <see cref="Predictor"/> prepare it (the model's own
/// <see cref="Preprocessing.ForEvaluation"/>), and the images are embedded in batches, in evaluation mode, with every
/// BatchNorm folded into its convolution and in the model's precision (bfloat16 features come back as float32). A
/// file that cannot be read gives a result with its <see cref="ImageEmbedding.Error"/>; the other images are still
/// embedded.
/// </summary>
/// <remarks>
/// The model comes from a run folder or bundle (<see cref="Load"/>), is built from an architecture and its weights
/// (<see cref="Create"/>: the head is not used, so it gets placeholder classes), or is given. Thread-safe: forward
/// passes are serialised (the engine already uses every core for one).
/// </remarks>
public sealed class Embedder : IDisposable
{
    /// <summary>The classes a model built by <see cref="Create"/> gets: a classifier needs at least two, and its head is never used.</summary>
    private static readonly string[] PlaceholderClasses = ["class-0", "class-1"];

    private readonly ImageClassifier _model;
    private readonly bool _ownsModel;
    private readonly IDisposable? _folding;
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Embeds with an already loaded model (which stays the caller's to dispose; it is put in evaluation mode and keeps its precision).</summary>
    /// <param name="model">The classifier whose backbone embeds.</param>
    /// <param name="options">Batch size, workers and pixel limit. Defaults to <see cref="EmbedderOptions"/>'s defaults.</param>
    public Embedder(ImageClassifier model, EmbedderOptions? options = null)
        : this(model ?? throw new ArgumentNullException(nameof(model)), Validate(options), ownsModel: false, description: null)
    {
    }

    private Embedder(ImageClassifier model, EmbedderOptions options, bool ownsModel, string? description)
    {
        NativeRuntime.EnsureInitialized();
        _model = model;
        _ownsModel = ownsModel;
        Options = options;
        _model.eval();
        // A model the embedder owns cannot change, so its BatchNorm-folded snapshot is made once (after its precision
        // is set, which the snapshot depends on); a caller's model is folded per batch, in case the caller trains it
        // in between.
        if (ownsModel) _folding = _model.FoldedInference();
        Description = $"{model.Spec.Architecture}, {description ?? (model.IsPretrained ? "pretrained" : "random weights")}, " +
                      $"{model.EvaluationSize} px, {OptionNames.Of(model.Precision)}";
    }

    /// <summary>
    /// Loads the model of a run folder (its <c>best.holdout</c>) or of a <c>.holdout</c> bundle once, in the run's own
    /// precision unless <see cref="EmbedderOptions.Precision"/> says otherwise.
    /// </summary>
    /// <param name="runOrBundle">A run folder written by <c>holdout train</c> or a <c>.holdout</c> bundle.</param>
    /// <param name="options">Batch size, workers, precision and pixel limit.</param>
    /// <exception cref="HoldoutException">The path is neither (an exported ONNX file has no features to give), or the file is damaged.</exception>
    public static Embedder Load(string runOrBundle, EmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runOrBundle);
        options = Validate(options);
        if (Predictor.IsOnnx(runOrBundle))
        {
            throw new HoldoutException($"'{runOrBundle}' is an exported ONNX model, which outputs only logits and probabilities, not the backbone's features. " +
                                       "Pass the run folder written by 'holdout train' (or its best.holdout).");
        }
        var (model, bundle) = RunFolderModel.Load(runOrBundle, options.Precision, options.BatchSize);
        return Own(model, options, $"from {bundle}");
    }

    /// <summary>
    /// Builds a model from an architecture and its weights alone (no run, no classes: only the backbone is used), as
    /// <see cref="ModelFactory.Create(ModelOptions)"/> builds one, in <see cref="EmbedderOptions.Precision"/> (null:
    /// <see cref="Precision.Auto"/>, measured at the batch size and image size).
    /// </summary>
    /// <param name="architecture">The network.</param>
    /// <param name="weights"><c>bundled</c> (ResNet-18 only), <c>none</c> (random, seeded: the same features every time) or the path of a torchvision-format weights file.</param>
    /// <param name="imageSize">The side images are rendered at, in pixels.</param>
    /// <param name="options">Batch size, workers, precision and pixel limit.</param>
    /// <exception cref="HoldoutException">The weights do not exist or do not fit the architecture, or the size is out of range.</exception>
    public static Embedder Create(Architecture architecture, string weights, int imageSize, EmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        options = Validate(options);
        var model = ModelFactory.Create(new ModelOptions(architecture, PlaceholderClasses, imageSize, weights));
        try
        {
            model.Precision = PrecisionChoices.Choose(model, options.Precision ?? Precision.Auto, PrecisionWorkload.Inference, options.BatchSize, model.EvaluationSize).Precision;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return Own(model, options, null);
    }

    private static Embedder Own(ImageClassifier model, EmbedderOptions options, string? description)
    {
        try
        {
            return new Embedder(model, options, ownsModel: true, description);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The options in use.</summary>
    public EmbedderOptions Options { get; }

    /// <summary>How every image is prepared: the model's evaluation preprocessing.</summary>
    public Preprocessing Preprocessing => _model.Spec.Preprocessing.ForEvaluation();

    /// <summary>
    /// The model in words: its architecture, where its weights came from, the image side and the precision, e.g.
    /// <c>resnet18 (2-2-2-2) torchvision layout, random weights, 64 px, fp32</c>.
    /// </summary>
    public string Description { get; }

    /// <summary>Embeds one image.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>Its features, or a result with <see cref="ImageEmbedding.Error"/> when it cannot be read.</returns>
    public ImageEmbedding Embed(string path) => EmbedBatch([path], CancellationToken.None)[0];

    /// <summary>
    /// Embeds a stream of images in batches of <see cref="EmbedderOptions.BatchSize"/>, yielding one result per path in
    /// the given order as each batch completes (the stream is read lazily, one batch at a time).
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="cancellationToken">Stops between images and batches.</param>
    public IEnumerable<ImageEmbedding> Embed(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Batches(paths, cancellationToken);
    }

    private IEnumerable<ImageEmbedding> Batches(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        foreach (var chunk in paths.Chunk(Options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var result in EmbedBatch(chunk, cancellationToken)) yield return result;
        }
    }

    private ImageEmbedding[] EmbedBatch(string[] paths, CancellationToken cancellationToken)
    {
        var preprocessing = Preprocessing;
        var size = preprocessing.InputSize;
        var (images, errors) = PreparedImages.Render(paths, preprocessing, pixels: false, Options.EffectiveWorkers, Options.MaxPixels, cancellationToken);
        var results = new ImageEmbedding[paths.Length];
        for (var i = 0; i < paths.Length; i++) results[i] = new ImageEmbedding(paths[i], null, errors[i]);
        var readable = Enumerable.Range(0, paths.Length).Where(i => images[i] is not null).ToArray();
        if (readable.Length == 0) return results;
        var values = PreparedImages.Concatenate(readable.Select(i => (float[])images[i]!));
        float[] features;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var folded = _model.FoldedInference();
            var input = tensor(values, [readable.Length, 3, size, size]).to(ModelOutputs.DeviceOf(_model));
            features = _model.Features(input).to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        }
        var dimension = features.Length / readable.Length;
        for (var r = 0; r < readable.Length; r++)
            results[readable[r]] = new ImageEmbedding(paths[readable[r]], features.AsSpan(r * dimension, dimension).ToArray(), null);
        return results;
    }

    private static EmbedderOptions Validate(EmbedderOptions? options)
    {
        options ??= new EmbedderOptions();
        options.Validate();
        return options;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _folding?.Dispose();
            if (_ownsModel) _model.Dispose();
        }
    }
}
