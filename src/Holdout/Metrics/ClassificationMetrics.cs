using System.Text.Json;
using System.Text.Json.Serialization;

namespace Holdout.Metrics;

/// <summary>
/// How well a classifier did on a labelled set: accuracy, loss, per-class precision/recall/F1, the confusion matrix,
/// ROC-AUC, calibration and the most confused class pairs, computed from the true labels and the predicted class
/// probabilities.
/// </summary>
/// <remarks>
/// <para>The predicted class of a sample is the one with the highest probability (the lowest index on ties).</para>
/// <para>The loss is not computed here but given: the run's loss (<c>Holdout.Training.ClassificationLoss</c>, with its
/// label smoothing and class weights) is the one definition every shown loss comes from.</para>
/// <para>No value is ever NaN: a class never predicted has precision 0, a class with no samples has recall 0, F1 is 0
/// when precision and recall are both 0. Macro-F1 is the unweighted mean of F1 over every class in the class list,
/// including classes with no samples in this set.</para>
/// <para>Expected calibration error (Guo et al., 2017) uses 15 equal-width bins of confidence (the highest probability
/// of a sample): bin k holds confidences in (k/15, (k+1)/15] (bin 0 also holds 0), and
/// ECE = Σ_k (n_k / N) · |accuracy_k − mean confidence_k|. 0 means perfectly calibrated.</para>
/// <para>ROC-AUC is computed exactly as the Mann–Whitney statistic (the probability that a random positive scores
/// above a random negative, ties counting one half), which equals the trapezoidal area under the ROC curve. For two
/// classes the positive class is index 1 and the score is its probability. For any number of classes
/// <see cref="MacroRocAuc"/> averages the one-vs-rest AUC of every class that has both positives and negatives.</para>
/// <para>Serialises with System.Text.Json to snake_case names (<c>accuracy</c>, <c>loss</c>, <c>macro_f1</c>,
/// <c>per_class</c>, <c>confusion</c>, <c>roc_auc</c>, …); per-sample values are not serialised (use
/// <see cref="TopLosses"/>).</para>
/// </remarks>
public sealed class ClassificationMetrics
{
    /// <summary>Number of equal-width confidence bins used by <see cref="ExpectedCalibrationError"/>.</summary>
    public const int CalibrationBinCount = 15;

    /// <summary>The class names, in class-index order.</summary>
    [JsonPropertyName("class_names")]
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Number of evaluated samples.</summary>
    [JsonPropertyName("samples")]
    public int SampleCount { get; init; }

    /// <summary>Fraction of samples whose predicted class is the true class.</summary>
    [JsonPropertyName("accuracy")]
    public double Accuracy { get; init; }

    /// <summary>The mean loss over the samples, as given (the run's loss; natural log).</summary>
    [JsonPropertyName("loss")]
    public double Loss { get; init; }

    /// <summary>Unweighted mean of the per-class F1 scores over every class.</summary>
    [JsonPropertyName("macro_f1")]
    public double MacroF1 { get; init; }

    /// <summary>Precision, recall, F1 and support of each class, in class-index order.</summary>
    [JsonPropertyName("per_class")]
    public IReadOnlyList<ClassMetrics> PerClass { get; init; } = [];

    /// <summary>Confusion matrix: <c>Confusion[t][p]</c> counts samples of true class t predicted as class p.</summary>
    [JsonPropertyName("confusion")]
    public IReadOnlyList<IReadOnlyList<int>> Confusion { get; init; } = [];

    /// <summary>ROC-AUC of a two-class problem (positive class index 1); <c>null</c> for more classes, or when the
    /// set lacks positives or negatives.</summary>
    [JsonPropertyName("roc_auc")]
    public double? RocAuc { get; init; }

    /// <summary>Mean one-vs-rest ROC-AUC over the classes that have both positives and negatives; <c>null</c> when
    /// no class has.</summary>
    [JsonPropertyName("macro_roc_auc")]
    public double? MacroRocAuc { get; init; }

    /// <summary>ROC curve of a two-class problem, from (0, 0) to (1, 1) with one point per distinct score;
    /// <c>null</c> when <see cref="RocAuc"/> is.</summary>
    [JsonPropertyName("roc_curve")]
    public IReadOnlyList<RocPoint>? RocCurve { get; init; }

    /// <summary>Expected calibration error over <see cref="CalibrationBinCount"/> equal-width confidence bins.</summary>
    [JsonPropertyName("expected_calibration_error")]
    public double ExpectedCalibrationError { get; init; }

    /// <summary>Off-diagonal confusion cells with at least one sample, by count (descending), then true class, then
    /// predicted class.</summary>
    [JsonPropertyName("most_confused")]
    public IReadOnlyList<ConfusedPair> MostConfused { get; init; } = [];

    /// <summary>Per-sample values (label, prediction, probabilities and loss) in input order; not serialised.</summary>
    [JsonIgnore]
    public IReadOnlyList<SampleLoss> Samples { get; init; } = [];


    /// <summary>
    /// Computes every metric from true labels and predicted probabilities given as one row per sample.
    /// </summary>
    /// <param name="labels">True class index of each sample, in 0..C−1.</param>
    /// <param name="probabilities">Predicted probabilities, one row of C finite, non-negative values per sample.</param>
    /// <param name="classNames">The C class names, in class-index order (C ≥ 2).</param>
    /// <param name="sampleLosses">Each sample's loss, as the run's loss defines it (<c>Holdout.Training.ClassificationLoss</c>:
    /// <c>Predictions.SampleLosses</c> or <c>ClassificationLoss.OfProbabilities</c>); the metrics compute no loss of their own.</param>
    /// <param name="loss">The mean loss over the samples (weighted as the loss defines it).</param>
    /// <exception cref="ArgumentException">The inputs disagree in length, a label is out of range, or a probability
    /// is negative or not finite.</exception>
    public static ClassificationMetrics Compute(IReadOnlyList<int> labels, IReadOnlyList<float[]> probabilities, IReadOnlyList<string> classNames,
        IReadOnlyList<double> sampleLosses, double loss)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(classNames);
        var classes = classNames.Count;
        if (probabilities.Count != labels.Count)
            throw new ArgumentException($"Got {labels.Count} labels but {probabilities.Count} probability rows; they must match.", nameof(probabilities));
        var flat = new float[labels.Count * classes];
        for (var i = 0; i < probabilities.Count; i++)
        {
            var row = probabilities[i] ?? throw new ArgumentException($"Probability row {i} is null.", nameof(probabilities));
            if (row.Length != classes)
                throw new ArgumentException($"Probability row {i} has {row.Length} values; expected one per class ({classes}).", nameof(probabilities));
            row.CopyTo(flat, i * classes);
        }
        return Compute(labels, flat, classNames, sampleLosses, loss);
    }

    /// <summary>
    /// Computes every metric from true labels and predicted probabilities given as one flat row-major array
    /// (sample i, class c at <c>i * C + c</c>), as a batch of softmax outputs comes out of a tensor.
    /// </summary>
    /// <param name="labels">True class index of each sample, in 0..C−1.</param>
    /// <param name="probabilities">N × C finite, non-negative probabilities, row-major.</param>
    /// <param name="classNames">The C class names, in class-index order (C ≥ 2).</param>
    /// <param name="sampleLosses">Each sample's loss, as the run's loss defines it (see the other overload).</param>
    /// <param name="loss">The mean loss over the samples (weighted as the loss defines it).</param>
    /// <exception cref="ArgumentException">The inputs disagree in length, a label is out of range, or a probability
    /// is negative or not finite.</exception>
    public static ClassificationMetrics Compute(IReadOnlyList<int> labels, ReadOnlySpan<float> probabilities, IReadOnlyList<string> classNames,
        IReadOnlyList<double> sampleLosses, double loss)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(sampleLosses);
        if (sampleLosses.Count != labels.Count)
            throw new ArgumentException($"Got {sampleLosses.Count} sample losses for {labels.Count} samples; they must match.", nameof(sampleLosses));
        var classes = classNames.Count;
        var count = labels.Count;
        if (classes < 2) throw new ArgumentException($"Got {classes} class names; a classifier needs at least 2.", nameof(classNames));
        if (count == 0) throw new ArgumentException("No samples to evaluate; at least one labelled sample is needed.", nameof(labels));
        if (probabilities.Length != count * classes)
            throw new ArgumentException($"Got {probabilities.Length} probabilities for {count} samples × {classes} classes; expected {count * classes}.", nameof(probabilities));

        var confusion = new int[classes][];
        for (var c = 0; c < classes; c++) confusion[c] = new int[classes];
        var samples = new SampleLoss[count];
        var binCount = new int[CalibrationBinCount];
        var binCorrect = new int[CalibrationBinCount];
        var binConfidence = new double[CalibrationBinCount];
        var correct = 0;
        for (var i = 0; i < count; i++)
        {
            var label = labels[i];
            if (label < 0 || label >= classes)
                throw new ArgumentException($"Label {label} of sample {i} is outside 0..{classes - 1}.", nameof(labels));
            var row = probabilities.Slice(i * classes, classes);
            var predicted = 0;
            for (var c = 0; c < classes; c++)
            {
                var p = row[c];
                if (!float.IsFinite(p) || p < 0)
                    throw new ArgumentException($"Probability {p} of sample {i}, class {c} is not a finite non-negative number.", nameof(probabilities));
                if (p > row[predicted]) predicted = c;
            }
            var trueProbability = (double)row[label];
            var confidence = (double)row[predicted];
            samples[i] = new SampleLoss(i, label, predicted, trueProbability, confidence, sampleLosses[i]);
            confusion[label][predicted]++;
            if (predicted == label) correct++;

            var bin = CalibrationBin(confidence);
            binCount[bin]++;
            binConfidence[bin] += confidence;
            if (predicted == label) binCorrect[bin]++;
        }

        var perClass = new ClassMetrics[classes];
        for (var c = 0; c < classes; c++)
        {
            var support = 0;
            var predictedCount = 0;
            for (var k = 0; k < classes; k++)
            {
                support += confusion[c][k];
                predictedCount += confusion[k][c];
            }
            var hits = confusion[c][c];
            var precision = predictedCount == 0 ? 0.0 : (double)hits / predictedCount;
            var recall = support == 0 ? 0.0 : (double)hits / support;
            var f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(classNames[c], precision, recall, f1, support, predictedCount);
        }

        double ece = 0;
        for (var b = 0; b < CalibrationBinCount; b++)
        {
            if (binCount[b] == 0) continue;
            ece += (double)binCount[b] / count * Math.Abs((double)binCorrect[b] / binCount[b] - binConfidence[b] / binCount[b]);
        }

        var mostConfused = new List<ConfusedPair>();
        for (var t = 0; t < classes; t++)
            for (var p = 0; p < classes; p++)
                if (t != p && confusion[t][p] > 0) mostConfused.Add(new ConfusedPair(classNames[t], classNames[p], confusion[t][p]));
        // Stable sort keeps the (true, predicted) index order among equal counts.
        var orderedConfused = mostConfused.OrderByDescending(pair => pair.Count).ToList();

        var aucs = new List<double>();
        var scores = new double[count];
        var positives = new bool[count];
        double? binaryAuc = null;
        List<RocPoint>? curve = null;
        for (var c = 0; c < classes; c++)
        {
            for (var i = 0; i < count; i++)
            {
                scores[i] = probabilities[i * classes + c];
                positives[i] = labels[i] == c;
            }
            var auc = Auc(scores, positives);
            if (auc is { } value) aucs.Add(value);
            if (classes == 2 && c == 1 && auc is not null)
            {
                binaryAuc = auc;
                curve = Roc(scores, positives);
            }
        }

        return new ClassificationMetrics
        {
            ClassNames = classNames.ToArray(),
            SampleCount = count,
            Accuracy = (double)correct / count,
            Loss = loss,
            MacroF1 = perClass.Average(m => m.F1),
            PerClass = perClass,
            Confusion = confusion,
            RocAuc = binaryAuc,
            MacroRocAuc = aucs.Count == 0 ? null : aucs.Average(),
            RocCurve = curve,
            ExpectedCalibrationError = ece,
            MostConfused = orderedConfused,
            Samples = samples,
        };
    }

    /// <summary>
    /// The <paramref name="count"/> samples with the highest loss, highest first (ties by input order).
    /// </summary>
    /// <param name="count">How many to return; fewer when the set is smaller.</param>
    public IReadOnlyList<SampleLoss> TopLosses(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Samples.OrderByDescending(s => s.Loss).ThenBy(s => s.Index).Take(count).ToList();
    }

    /// <summary>Serialises the metrics to JSON (snake_case names).</summary>
    /// <param name="indented">Whether to indent the output. Defaults to <c>true</c>.</param>
    public string ToJson(bool indented = true) =>
        JsonSerializer.Serialize(this, indented ? StrictJson.Indented : StrictJson.Compact);

    internal static int CalibrationBin(double confidence)
    {
        var bin = (int)Math.Ceiling(confidence * CalibrationBinCount) - 1;
        return Math.Clamp(bin, 0, CalibrationBinCount - 1);
    }

    /// <summary>Mann–Whitney AUC with average ranks for ties; null without both positives and negatives.</summary>
    internal static double? Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> positives)
    {
        var n = scores.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ToArray();
        long positiveCount = positives.Count(p => p);
        long negativeCount = n - positiveCount;
        if (positiveCount == 0 || negativeCount == 0) return null;
        double positiveRankSum = 0;
        var start = 0;
        while (start < n)
        {
            var end = start;
            while (end + 1 < n && scores[order[end + 1]] == scores[order[start]]) end++;
            var averageRank = (start + end) / 2.0 + 1; // 1-based ranks start+1..end+1
            for (var k = start; k <= end; k++)
                if (positives[order[k]]) positiveRankSum += averageRank;
            start = end + 1;
        }
        return (positiveRankSum - positiveCount * (positiveCount + 1) / 2.0) / (positiveCount * (double)negativeCount);
    }

    /// <summary>ROC points from the strictest threshold down, one per distinct score, starting at (0, 0).</summary>
    internal static List<RocPoint> Roc(IReadOnlyList<double> scores, IReadOnlyList<bool> positives)
    {
        var n = scores.Count;
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ToArray();
        double positiveCount = positives.Count(p => p);
        double negativeCount = n - positiveCount;
        var points = new List<RocPoint> { new(0, 0, null) };
        int truePositives = 0, falsePositives = 0;
        var start = 0;
        while (start < n)
        {
            var threshold = scores[order[start]];
            var k = start;
            while (k < n && scores[order[k]] == threshold)
            {
                if (positives[order[k]]) truePositives++; else falsePositives++;
                k++;
            }
            points.Add(new RocPoint(falsePositives / negativeCount, truePositives / positiveCount, threshold));
            start = k;
        }
        return points;
    }
}
