using System.Text.Json;
using Holdout.Metrics;

namespace Holdout.Tests.Metrics;

public sealed class ClassificationMetricsTests
{
    private const double Tolerance = 1e-6;
    private static readonly string[] Animals = ["cat", "dog", "bird"];

    // Six samples, three classes; "bird" is never predicted. Hand-computed below.
    //   sample  true  probabilities (cat, dog, bird)  predicted
    //   0       cat   0.7 0.2 0.1                     cat
    //   1       cat   0.4 0.5 0.1                     dog
    //   2       dog   0.1 0.8 0.1                     dog
    //   3       dog   0.6 0.3 0.1                     cat
    //   4       bird  0.3 0.4 0.3                     dog
    //   5       dog   0.2 0.7 0.1                     dog
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 1];
    private static readonly float[][] Probabilities =
    [
        [0.7f, 0.2f, 0.1f],
        [0.4f, 0.5f, 0.1f],
        [0.1f, 0.8f, 0.1f],
        [0.6f, 0.3f, 0.1f],
        [0.3f, 0.4f, 0.3f],
        [0.2f, 0.7f, 0.1f],
    ];

    [Fact]
    public void Should_match_hand_computed_accuracy_loss_confusion_and_per_class_scores()
    {
        // Given the fixed six predictions

        // When the metrics are computed
        var metrics = PlainMetrics.Compute(Labels, Probabilities, Animals);

        // Then accuracy is 3/6 and the loss is the mean of −ln p(true)
        Assert.Equal(6, metrics.SampleCount);
        Assert.Equal(0.5, metrics.Accuracy, Tolerance);
        Assert.Equal(-Math.Log(0.7 * 0.4 * 0.8 * 0.3 * 0.3 * 0.7) / 6, metrics.Loss, Tolerance);

        // And the confusion matrix has true classes as rows
        Assert.Equal([1, 1, 0], metrics.Confusion[0]);
        Assert.Equal([1, 2, 0], metrics.Confusion[1]);
        Assert.Equal([0, 1, 0], metrics.Confusion[2]);

        // And cat: P = 1/2, R = 1/2; dog: P = 2/4, R = 2/3, F1 = 4/7; bird (never predicted): all 0, no NaN
        var cat = metrics.PerClass[0];
        Assert.Equal(("cat", 0.5, 0.5, 0.5, 2, 2), (cat.Name, cat.Precision, cat.Recall, cat.F1, cat.Support, cat.Predicted));
        var dog = metrics.PerClass[1];
        Assert.Equal(0.5, dog.Precision, Tolerance);
        Assert.Equal(2.0 / 3, dog.Recall, Tolerance);
        Assert.Equal(4.0 / 7, dog.F1, Tolerance);
        Assert.Equal((3, 4), (dog.Support, dog.Predicted));
        var bird = metrics.PerClass[2];
        Assert.Equal((0.0, 0.0, 0.0, 1, 0), (bird.Precision, bird.Recall, bird.F1, bird.Support, bird.Predicted));

        // And macro-F1 averages all three classes: (1/2 + 4/7 + 0) / 3 = 5/14
        Assert.Equal(5.0 / 14, metrics.MacroF1, Tolerance);
    }

    [Fact]
    public void Should_list_most_confused_pairs_by_count_then_class_order()
    {
        // Given the fixed predictions plus two more cats taken for dogs
        var labels = Labels.Concat([0, 0]).ToArray();
        var probabilities = Probabilities.Concat([[0.1f, 0.85f, 0.05f], [0.3f, 0.6f, 0.1f]]).ToArray();

        // When the metrics are computed
        var metrics = PlainMetrics.Compute(labels, probabilities, Animals);

        // Then cat→dog (3) comes first, then the single mistakes in (true, predicted) order
        Assert.Equal(
            [new ConfusedPair("cat", "dog", 3), new ConfusedPair("dog", "cat", 1), new ConfusedPair("bird", "dog", 1)],
            metrics.MostConfused);
    }

    [Fact]
    public void Should_compute_expected_calibration_error_over_fifteen_confidence_bins()
    {
        // Given the fixed predictions: confidences 0.7 (right, twice), 0.5 (wrong), 0.8 (right), 0.6 (wrong), 0.4 (wrong)
        // each in its own bin of width 1/15 except the two 0.7s
        var metrics = PlainMetrics.Compute(Labels, Probabilities, Animals);

        // Then ECE = 2/6·|1 − 0.7| + 1/6·(0.5 + 0.2 + 0.6 + 0.4)
        Assert.Equal(2.0 / 6 * 0.3 + (0.5 + 0.2 + 0.6 + 0.4) / 6, metrics.ExpectedCalibrationError, Tolerance);
    }

    [Fact]
    public void Should_average_accuracy_and_confidence_within_a_bin_before_taking_the_gap()
    {
        // Given two samples whose confidences 0.90 and 0.91 share the bin (13/15, 14/15]; one right, one wrong
        int[] labels = [0, 1];
        float[][] probabilities = [[0.90f, 0.10f], [0.91f, 0.09f]];

        // When the metrics are computed
        var metrics = PlainMetrics.Compute(labels, probabilities, ["a", "b"]);

        // Then ECE = |mean accuracy 0.5 − mean confidence 0.905|, not the mean of per-sample gaps (0.505)
        Assert.Equal(0.405, metrics.ExpectedCalibrationError, 1e-6);
        Assert.Equal(0, ClassificationMetrics.CalibrationBin(0));
        Assert.Equal(0, ClassificationMetrics.CalibrationBin(1.0 / 15 - 1e-9));
        Assert.Equal(1, ClassificationMetrics.CalibrationBin(1.0 / 15 + 1e-9));
        Assert.Equal(14, ClassificationMetrics.CalibrationBin(1));
    }

    [Fact]
    public void Should_compute_binary_auc_with_ties_counting_one_half()
    {
        // Given positive-class scores with ties across classes:
        //   positives 0.9, 0.6, 0.3 — negatives 0.6, 0.3, 0.1
        //   pairs won: 0.9 → 3; 0.6 → 2 + ½ (tie with 0.6); 0.3 → 1 + ½ (tie with 0.3) = 7 of 9
        int[] labels = [1, 1, 0, 0, 1, 0];
        float[] scores = [0.9f, 0.6f, 0.6f, 0.3f, 0.3f, 0.1f];
        var flat = scores.SelectMany(s => new[] { 1 - s, s }).ToArray();

        // When the metrics are computed from the flat N × 2 array
        var metrics = PlainMetrics.Compute(labels, flat, ["healthy", "sick"]);

        // Then AUC is 7/9 and the ROC curve steps once per distinct score
        Assert.Equal(7.0 / 9, metrics.RocAuc!.Value, Tolerance);
        Assert.Equal(7.0 / 9, metrics.MacroRocAuc!.Value, Tolerance);
        var curve = metrics.RocCurve!;
        Assert.Equal(
            [(0.0, 0.0), (0.0, 1.0 / 3), (1.0 / 3, 2.0 / 3), (2.0 / 3, 1.0), (1.0, 1.0)],
            curve.Select(p => (Math.Round(p.FalsePositiveRate, 9), Math.Round(p.TruePositiveRate, 9))).ToArray(),
            new RoundedPairComparer());
        Assert.Null(curve[0].Threshold);
        Assert.Equal(0.6f, (float)curve[2].Threshold!.Value);

        // And the trapezoidal area under that curve is the same 7/9
        var area = curve.Zip(curve.Skip(1)).Sum(s => (s.Second.FalsePositiveRate - s.First.FalsePositiveRate) * (s.First.TruePositiveRate + s.Second.TruePositiveRate) / 2);
        Assert.Equal(7.0 / 9, area, Tolerance);
    }

    [Fact]
    public void Should_average_one_vs_rest_auc_for_more_than_two_classes()
    {
        // Given the fixed predictions: hand-counted one-vs-rest AUCs cat 7/8, dog 7/9, bird 5/5
        var metrics = PlainMetrics.Compute(Labels, Probabilities, Animals);

        // Then there is no binary AUC or curve, and the macro AUC is their mean
        Assert.Null(metrics.RocAuc);
        Assert.Null(metrics.RocCurve);
        Assert.Equal((7.0 / 8 + 7.0 / 9 + 1) / 3, metrics.MacroRocAuc!.Value, Tolerance);
    }

    [Fact]
    public void Should_give_zero_scores_not_nan_for_a_class_with_no_samples_and_no_predictions()
    {
        // Given a three-class problem where no sample is (or is predicted as) "bird"
        int[] labels = [0, 1, 1];
        float[][] probabilities = [[0.9f, 0.05f, 0.05f], [0.2f, 0.7f, 0.1f], [0.6f, 0.3f, 0.1f]];

        // When the metrics are computed
        var metrics = PlainMetrics.Compute(labels, probabilities, Animals);

        // Then bird's scores are 0, it has no AUC (no positives) and the JSON has no NaN
        var bird = metrics.PerClass[2];
        Assert.Equal((0.0, 0.0, 0.0, 0, 0), (bird.Precision, bird.Recall, bird.F1, bird.Support, bird.Predicted));
        // cat: P = 1/2, R = 1/1, F1 = 2/3; dog: P = 1/1, R = 1/2, F1 = 2/3; bird counts as 0 in the macro mean
        Assert.Equal((2.0 / 3 + 2.0 / 3 + 0) / 3, metrics.MacroF1, Tolerance);
        Assert.Null(metrics.RocAuc);
        Assert.Equal((2.0 / 2 + 2.0 / 2) / 2, metrics.MacroRocAuc!.Value, Tolerance);
        Assert.DoesNotContain("NaN", metrics.ToJson());
    }

    [Fact]
    public void Should_serialise_to_snake_case_json_that_round_trips()
    {
        // Given metrics of a binary problem
        var metrics = PlainMetrics.Compute([0, 1, 1], [[0.8f, 0.2f], [0.3f, 0.7f], [0.6f, 0.4f]], ["no", "yes"]);

        // When they are serialised and read back
        var json = metrics.ToJson();
        using var document = JsonDocument.Parse(json);
        var back = JsonSerializer.Deserialize<ClassificationMetrics>(json)!;

        // Then the names are snake_case and the values survive
        var root = document.RootElement;
        foreach (var name in new[] { "accuracy", "loss", "macro_f1", "per_class", "confusion", "roc_auc", "macro_roc_auc", "roc_curve", "expected_calibration_error", "most_confused", "class_names" })
            Assert.True(root.TryGetProperty(name, out _), $"missing {name} in {json}");
        Assert.Equal(2.0 / 3, root.GetProperty("accuracy").GetDouble(), Tolerance);
        Assert.Equal("yes", root.GetProperty("per_class")[1].GetProperty("name").GetString());
        Assert.Equal(metrics.MacroF1, back.MacroF1);
        Assert.Equal(metrics.RocAuc, back.RocAuc);
        Assert.Equal(metrics.PerClass, back.PerClass);
        Assert.Equal(metrics.MostConfused, back.MostConfused);
        Assert.Equal(metrics.Confusion.Select(r => r.ToArray()), back.Confusion.Select(r => r.ToArray()));
    }

    [Fact]
    public void Should_rank_top_losses_highest_first_with_ties_in_input_order()
    {
        // Given the fixed predictions: losses −ln 0.3 (samples 3 and 4), then −ln 0.4 (sample 1)
        var metrics = PlainMetrics.Compute(Labels, Probabilities, Animals);

        // When the top three losses are taken
        var top = metrics.TopLosses(3);

        // Then they are samples 3, 4, 1 with their labels, predictions and probabilities
        Assert.Equal([3, 4, 1], top.Select(s => s.Index));
        Assert.Equal((1, 0), (top[0].TrueLabel, top[0].PredictedLabel));
        Assert.Equal(0.6, top[0].PredictedProbability, Tolerance);
        Assert.Equal(0.3, top[0].TrueProbability, Tolerance);
        Assert.Equal(-Math.Log(0.3), top[0].Loss, Tolerance);
        Assert.Equal(6, metrics.Samples.Count);
    }

    [Fact]
    public void Should_refuse_inputs_that_do_not_match()
    {
        // Given a label outside the classes, a short row and a NaN probability
        // Then each is refused with a message that says what was expected
        Assert.Contains("outside 0..1", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([2], [[0.5f, 0.5f]], ["a", "b"], [0.7], 0.7)).Message);
        Assert.Contains("expected one per class", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [[1f]], ["a", "b"], [0.0], 0)).Message);
        Assert.Contains("not a finite", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [[float.NaN, 0.5f]], ["a", "b"], [0.7], 0.7)).Message);
        Assert.Contains("2 sample losses for 1 samples", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [[0.5f, 0.5f]], ["a", "b"], [0.7, 0.7], 0.7)).Message);
        Assert.Contains("No samples", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([], Array.Empty<float[]>(), ["a", "b"], [], double.NaN)).Message);
    }

    private sealed class RoundedPairComparer : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) < 1e-9 && Math.Abs(x.Item2 - y.Item2) < 1e-9;
        public int GetHashCode((double, double) obj) => 0;
    }
}
