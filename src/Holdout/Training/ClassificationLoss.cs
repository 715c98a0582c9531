using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// The one loss of a classifier: training back-propagates it, and the training <c>loss</c>, <c>val_loss</c>, the
/// evaluation of a run, the learning-rate finder and the doctor all report it, so the numbers are comparable.
/// Softmax cross-entropy over C logits (or binary cross-entropy with logits over a single output), with optional
/// label smoothing and per-class weights. With class weights the mean is weighted: sum of w[label] x loss over the
/// sum of w[label] (PyTorch's definition), over a batch and over a whole split alike.
/// </summary>
/// <example><code>using var loss = new ClassificationLoss(labelSmoothing: 0.1);
/// var value = loss.Mean(model.forward(images), labels);</code></example>
public sealed class ClassificationLoss : IDisposable
{
    private readonly float[]? _classWeights;
    private readonly Func<Tensor, Tensor, Tensor>? _function;
    private Tensor? _weights;

    /// <summary>Creates the loss.</summary>
    /// <param name="kind">Cross-entropy over C logits, or binary cross-entropy with logits over one output. Defaults to cross-entropy.</param>
    /// <param name="labelSmoothing">Label smoothing, 0..1 (exclusive). Defaults to 0.</param>
    /// <param name="classWeights">Per-class weights (e.g. inverse frequency for imbalanced data), or null for none. Defaults to null.</param>
    /// <exception cref="HoldoutException">A value is out of range.</exception>
    public ClassificationLoss(LossKind kind = LossKind.CrossEntropy, double labelSmoothing = 0, IReadOnlyList<float>? classWeights = null)
    {
        if (labelSmoothing is < 0 or >= 1 || double.IsNaN(labelSmoothing))
            throw new HoldoutException($"--label-smoothing must be in [0, 1), got {labelSmoothing}. Typical values are 0 (off) and 0.1.");
        if (classWeights is not null && classWeights.Any(w => !(w >= 0) || !float.IsFinite(w)))
            throw new HoldoutException($"Class weights must be finite numbers of 0 or more, got [{string.Join(", ", classWeights)}].");
        Kind = kind;
        LabelSmoothing = labelSmoothing;
        _classWeights = classWeights?.ToArray();
    }

    private ClassificationLoss(Func<Tensor, Tensor, Tensor> function)
    {
        _function = function;
        Kind = LossKind.CrossEntropy;
    }

    /// <summary>
    /// A loss given as a function of (outputs, int64 labels) to the batch mean — e.g. a user's own training code as
    /// the doctor probes it. It has no per-sample values; every sample weighs the same.
    /// </summary>
    /// <param name="mean">The loss exactly as the training code calls it.</param>
    public static ClassificationLoss FromFunction(Func<Tensor, Tensor, Tensor> mean)
    {
        ArgumentNullException.ThrowIfNull(mean);
        return new ClassificationLoss(mean);
    }

    /// <summary>The loss for <see cref="TrainingOptions"/>: its kind, label smoothing and class weights.</summary>
    /// <param name="options">The training options.</param>
    public static ClassificationLoss For(TrainingOptions options) => new(options.Loss, options.LabelSmoothing, options.ClassWeights);

    /// <summary>Cross-entropy, or binary cross-entropy with logits over one output.</summary>
    public LossKind Kind { get; }

    /// <summary>The label smoothing (0 = off).</summary>
    public double LabelSmoothing { get; }

    /// <summary>The per-class weights, or null.</summary>
    public IReadOnlyList<float>? ClassWeights => _classWeights;

    /// <summary>Plain multi-class cross-entropy: no label smoothing, no class weights, not binary, not a given function.</summary>
    internal bool IsPlainCrossEntropy => _function is null && Kind == LossKind.CrossEntropy && LabelSmoothing == 0 && _classWeights is null;

    /// <summary>The mean loss of a batch (a scalar), what training back-propagates.</summary>
    /// <param name="logits">N x C logits (N x 1 for binary cross-entropy).</param>
    /// <param name="labels">N int64 class labels.</param>
    /// <exception cref="HoldoutException">Binary cross-entropy was asked for a model with more than one output.</exception>
    public Tensor Mean(Tensor logits, Tensor labels)
    {
        if (_function is not null) return _function(logits, labels);
        if (IsBinary(logits))
        {
            var target = labels.to_type(logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32);
            var smoothed = LabelSmoothing > 0 ? target * (1 - LabelSmoothing) + 0.5 * LabelSmoothing : target;
            return nn.functional.binary_cross_entropy_with_logits(logits.squeeze(1), smoothed, pos_weights: PositiveWeight(logits));
        }
        return nn.functional.cross_entropy(logits, labels, WeightsOn(logits), label_smoothing: LabelSmoothing);
    }

    /// <summary>
    /// The weight a batch's mean carries in the mean over many batches: the number of samples, or with class weights
    /// the sum of w[label]. Sum of (<see cref="Mean"/> x weight) over batches, divided by the sum of weights, is the
    /// mean over all of their samples.
    /// </summary>
    /// <param name="labels">The batch's int64 class labels.</param>
    public double BatchWeight(Tensor labels)
    {
        if (_classWeights is null || _function is not null || Kind == LossKind.BinaryCrossEntropyWithLogits) return labels.shape[0];
        double sum = 0;
        foreach (var label in labels.cpu().data<long>()) sum += _classWeights[label];
        return sum;
    }

    /// <summary>
    /// Each sample's loss, weighted by its class weight (so their sum divided by <see cref="BatchWeight"/> is
    /// <see cref="Mean"/>).
    /// </summary>
    /// <param name="logits">N x C logits (N x 1 for binary cross-entropy).</param>
    /// <param name="labels">N int64 class labels.</param>
    /// <exception cref="InvalidOperationException">The loss was given as a function (<see cref="FromFunction"/>).</exception>
    public Tensor PerSample(Tensor logits, Tensor labels)
    {
        if (_function is not null) throw new InvalidOperationException("A loss given as a function has no per-sample values; use BatchSum.");
        if (IsBinary(logits))
        {
            var target = labels.to_type(logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32);
            var smoothed = LabelSmoothing > 0 ? target * (1 - LabelSmoothing) + 0.5 * LabelSmoothing : target;
            return nn.functional.binary_cross_entropy_with_logits(logits.squeeze(1), smoothed, pos_weights: PositiveWeight(logits), reduction: nn.Reduction.None);
        }
        return nn.functional.cross_entropy(logits, labels, WeightsOn(logits), reduction: nn.Reduction.None, label_smoothing: LabelSmoothing);
    }

    /// <summary>Whether <see cref="PerSample"/> gives values (every loss but one given as a function).</summary>
    public bool HasPerSampleValues => _function is null;

    /// <summary>
    /// This loss of predictions known only as probabilities (an exported ONNX model's output, a run's
    /// predictions.csv): the same formula applied to their logarithms, which are the logits up to a constant per row,
    /// and cross-entropy (softmax, label smoothing and all) does not change when a row's logits are shifted. A
    /// probability under <see cref="ProbabilityFloor"/> counts as that floor.
    /// </summary>
    /// <param name="labels">True class index of each sample.</param>
    /// <param name="probabilities">Per sample, the probability of each class.</param>
    /// <returns>Each sample's loss (weighted by its class weight) and the (weighted) mean, as <see cref="PerSample"/>
    /// and <see cref="Mean"/> give them for logits.</returns>
    /// <exception cref="InvalidOperationException">The loss was given as a function (<see cref="FromFunction"/>).</exception>
    public (double[] PerSample, double Mean) OfProbabilities(IReadOnlyList<int> labels, IReadOnlyList<float[]> probabilities)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (labels.Count == 0) return ([], double.NaN);
        NativeRuntime.EnsureInitialized();
        int classes = probabilities[0].Length;
        var logs = new double[labels.Count * classes];
        for (int i = 0; i < labels.Count; i++)
            for (int c = 0; c < classes; c++) logs[i * classes + c] = Math.Log(Math.Max(probabilities[i][c], ProbabilityFloor));
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(logs, [labels.Count, classes], ScalarType.Float64);
        if (Kind == LossKind.BinaryCrossEntropyWithLogits && classes == 2) logits = (logits[.., 1] - logits[.., 0]).unsqueeze(1);
        var labelTensor = torch.tensor(labels.Select(l => (long)l).ToArray());
        var perSample = PerSample(logits, labelTensor).cpu().data<double>().ToArray();
        return (perSample, perSample.Sum() / BatchWeight(labelTensor));
    }

    /// <summary>The smallest probability <see cref="OfProbabilities"/> takes the logarithm of (a probability that
    /// underflowed to 0 would otherwise give an infinite loss).</summary>
    public const double ProbabilityFloor = 1e-7;

    /// <summary>
    /// The batch's weighted sum of losses: <see cref="Mean"/> x <see cref="BatchWeight"/>, summed per sample where the
    /// loss has per-sample values. Sums over batches divided by summed weights give the mean over a whole split.
    /// </summary>
    /// <param name="logits">N x C logits (N x 1 for binary cross-entropy).</param>
    /// <param name="labels">N int64 class labels.</param>
    public Tensor BatchSum(Tensor logits, Tensor labels) =>
        _function is null ? PerSample(logits, labels).sum() : _function(logits, labels) * labels.shape[0];

    private bool IsBinary(Tensor logits)
    {
        if (Kind == LossKind.BinaryCrossEntropyWithLogits && logits.shape[1] != 1)
            throw new HoldoutException($"Binary cross-entropy with logits needs a model with one output, but it has {logits.shape[1]}. Use the cross-entropy loss for {logits.shape[1]} outputs.");
        return Kind == LossKind.BinaryCrossEntropyWithLogits || logits.shape[1] == 1;
    }

    private Tensor? WeightsOn(Tensor logits)
    {
        if (_classWeights is null) return null;
        if (_weights is null || _weights.device != logits.device || _weights.dtype != logits.dtype)
        {
            _weights?.Dispose();
            _weights = torch.tensor(_classWeights).to(logits.dtype, logits.device).DetachFromDisposeScope();
        }
        return _weights;
    }

    private Tensor? PositiveWeight(Tensor logits) =>
        WeightsOn(logits) is { } w ? (w[1] / w[0]).reshape(1) : null;

    /// <inheritdoc/>
    public void Dispose()
    {
        _weights?.Dispose();
        _weights = null;
    }
}
