using System.Reflection;
using System.Text.RegularExpressions;
using Holdout.Diagnostics;
using Holdout.Diagnostics.Checks;
using Holdout.Imaging;
using Holdout.Training;

namespace Holdout.Tests.Diagnostics;

/// <summary>
/// Every finding's message is built from the numbers it shows as evidence: each finding code is rendered from a fixture
/// (a measurement, a history or a small dataset) and every number in its sentence must appear in its evidence.
/// </summary>
public sealed partial class FindingMessageTests
{
    [GeneratedRegex(@"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?")]
    private static partial Regex Number();

    /// <summary>The numbers of <paramref name="message"/> that appear nowhere in <paramref name="evidence"/> as a whole number token.</summary>
    private static List<string> Unsupported(string message, IReadOnlyList<string> evidence)
    {
        // File paths are left out: their random folder names would supply digits by chance.
        var text = Regex.Replace(string.Join("\n", evidence), @"/\S+", "");
        return Number().Matches(message).Select(m => m.Value)
            .Where(n => !Regex.IsMatch(text, @"(?<![\d.])" + Regex.Escape(n) + @"(?![\d])"))
            .ToList();
    }

    private static EpochRecord Epoch(int epoch, double loss, double accuracy, double valLoss, double valAccuracy, double rate = 1e-3) =>
        new(epoch, loss, accuracy, valLoss, valAccuracy, rate, 1);

    private static FitResult Fit(double first, double last, int steps, double accuracy) => new(first, last, steps, accuracy, 0.02, (first + last) / 2);

    /// <summary>Fixtures rendered without data: each pipeline check's report on a measurement, and the curve checks on a history.</summary>
    private static readonly Dictionary<string, Func<IReadOnlyList<Finding>>> Fixtures = new()
    {
        ["init-loss: random head, uniform"] = () => [InitLossCheck.Report(new(1.45, Math.Log(2), 16, 2, null, Math.Log(2), 4.4))!],
        ["init-loss: priors known"] = () => [InitLossCheck.Report(new(3.2, 0.802, 16, 3, [0.7, 0.2, 0.1], 0.802, 7.1))!],
        ["init-loss: not a number"] = () => [InitLossCheck.Report(new(double.NaN, Math.Log(3), 16, 3, null, Math.Log(3), 0))!],
        ["init-loss: fails"] = () => [InitLossCheck.Report(new(null, Math.Log(3), 16, 3, null, Math.Log(3), 0))!],
        ["bn-mode-gap: stale statistics"] = () => [BatchNormModeGapCheck.Report(new(16, "the backbone's pooled features", 512, 0.734, 0.41, 20, 20, 20, 16, 5, false))!],
        ["bn-mode-gap: lagging after training"] = () => [BatchNormModeGapCheck.Report(new(16, "the backbone's pooled features", 512, 0.18, 0.97, 20, 20, 0, 16, 14, true))!],
        ["preprocessing-mismatch: splits differ"] = () => [PreprocessingCheck.Report(new(
            new([0.1, 0.2, 0.3], [1, 1, 1], [-2, -2, -2], [2, 2, 2], 64, 0), new([2.1, 0.2, 0.3], [0.2, 1, 1], [0, -2, -2], [1, 2, 2], 64, 0), null))!],
        ["preprocessing-mismatch: divided by its own maximum"] = () => [PreprocessingCheck.Report(new(
            new([0.45, 0.45, 0.45], [0.25, 0.25, 0.25], [0, 0, 0], [1, 1, 1], 64, 64), new([0.45, 0.45, 0.45], [0.25, 0.25, 0.25], [0, 0, 0], [1, 1, 1], 64, 64),
            Preprocessing.CntkResNet(64)))!],
        ["loss-activation-mismatch: softmax into cross-entropy"] = () => [LossActivationCheck.Report(new(OutputKind.Softmax,
            "model outputs (3 per image) lie in [0.01, 0.98] and every row sums to 1 (from 1 to 1): they are already probabilities (a softmax ends the model)", 3, 0.5514, 1.2, null, null))!],
        ["loss-activation-mismatch: softmax into binary cross-entropy"] = () => [LossActivationCheck.Report(new(OutputKind.Softmax,
            "model outputs (3 per image) lie in [0.01, 0.98] and every row sums to 1 (from 1 to 1): they are already probabilities (a softmax ends the model)", 3, 0, double.NaN, 0.6365, 1.0714))!],
        ["eval-coverage: repeated samples"] = () => [EvalCoverageCheck.Report(new(40,
            [new("pass 1 (epoch 0)", 40, [], [], []), new("pass 2 (epoch 0 again)", 40, [24, 25, 26, 27, 28, 29, 30, 31], [0, 1, 2, 3, 4, 5, 6, 7], []),
             new("pass 3 (epoch 1)", 40, [], [], [])],
            new("two passes over epoch 0", 0, "0", "8"), null, [], 0, 40, null))!],
        ["eval-coverage: random pixels"] = () => [EvalCoverageCheck.Report(new(40,
            [new("pass 1 (epoch 0)", 40, [], [], []), new("pass 2 (epoch 0 again)", 40, [], [], []), new("pass 3 (epoch 1)", 40, [], [], [])],
            null, null, [0, 3, 7], 37, 40, null))!],
        ["eval-coverage: order only"] = () => [EvalCoverageCheck.Report(new(40,
            [new("pass 1 (epoch 0)", 40, [], [], []), new("pass 2 (epoch 0 again)", 40, [], [], []), new("pass 3 (epoch 1)", 40, [], [], [])],
            new("two passes over epoch 0", 0, "12", "3"), null, [], 0, 40, 0.0))!],
        ["eval-coverage: order and batch-dependent outputs"] = () => [EvalCoverageCheck.Report(new(40,
            [new("pass 1 (epoch 0)", 40, [], [], []), new("pass 2 (epoch 0 again)", 40, [], [], []), new("pass 3 (epoch 1)", 40, [], [], [])],
            null, new("epoch 0 and epoch 1", 2, "2", "17"), [], 0, 40, 0.2345))!],
        ["one-batch-overfit: not fitted"] = () => [OneBatchOverfitCheck.Report(new(8, Fit(1.0986, 1.0981, 150, 0.375), 0.1099, 1539, 62, true, null))!],
        ["one-batch-overfit: no trainable parameters"] = () => [OneBatchOverfitCheck.Report(new(8, null, double.NaN, 0, 62, false, null))!],
        ["one-batch-overfit: a step fails"] = () => [OneBatchOverfitCheck.Report(new(8, null, 0.1099, 1539, 62, false, "element 0 of tensors does not require grad"))!],
        ["label-shuffle-baseline: learned features"] = () => [LabelShuffleCheck.Report(new(128, 3,
            [new("the backbone's pooled features", 512, 0.36, [0.31, 0.35, 0.29, 0.38]), new("8x8 thumbnails of the model input", 192, 0.34, [0.33, 0.30, 0.37, 0.32])], true))!],
        ["label-shuffle-baseline: random features"] = () => [LabelShuffleCheck.Report(new(128, 3,
            [new("the convolutional features", 64, 0.36, [0.31, 0.35, 0.29, 0.38]), new("8x8 thumbnails of the model input", 192, 0.34, [0.33, 0.30, 0.37, 0.32])], false))!],
        ["shortcut-cue: pure shortcut"] = () => [ShortcutCueCheck.Report(new(new(0, Corner(), [.. Enumerable.Range(0, 20)], 24, 0.65, 0.07, 0.55),
            24, 0.94, 0.31, 0.98, 22, 1.0, 0.16), ["A", "B"], null, null, null, null, new())!],
        ["shortcut-cue: a cue on a real class"] = () => [ShortcutCueCheck.Report(new(new(1, Corner(), [.. Enumerable.Range(0, 30)], 48, 0.48, 0.06, 0.38),
            48, 0.94, 0.54, 0.98, 48, 0.44, 0.0), ["angular_leaf_spot", "bean_rust", "healthy"], null, null, null, null, new())!],
        ["chance-level-validation: below the majority rate"] = () => LearningCurves.Check(
            [Epoch(1, 0.9, 0.6, 1.1, 0.55), Epoch(2, 0.5, 0.8, 1.2, 0.52), Epoch(3, 0.3, 0.9, 1.3, 0.5), Epoch(4, 0.2, 0.95, 1.4, 0.54)], 0.67, 45),
        ["overfitting"] = () => LearningCurves.Check(
            [Epoch(1, 0.9, 0.6, 0.7, 0.7), Epoch(2, 0.5, 0.8, 0.5, 0.8), Epoch(3, 0.3, 0.9, 0.6, 0.79), Epoch(4, 0.1, 0.98, 0.9, 0.78)], 0.34, 90),
        ["overfitting: the run kept the best weights"] = () => LearningCurves.Check(
            [Epoch(1, 0.9, 0.6, 0.7, 0.7), Epoch(2, 0.5, 0.8, 0.5, 0.8), Epoch(3, 0.3, 0.9, 0.6, 0.79), Epoch(4, 0.1, 0.98, 0.9, 0.78)], 0.34, 90, keptEpoch: 2),
        ["divergence: exploded"] = () => LearningCurves.Check([Epoch(1, 0.9, 0.6, 0.7, 0.7), Epoch(2, 0.5, 0.8, 0.5, 0.8, 0.1), Epoch(3, 14.2, 0.3, 15, 0.3, 0.1)], 0.34, 90),
        ["divergence: not a number"] = () => LearningCurves.Check([Epoch(1, 0.9, 0.6, 0.7, 0.7), Epoch(2, double.NaN, 0.3, double.NaN, 0.3, 0.1)], 0.34, 90),
        ["underfitting"] = () => LearningCurves.Check([Epoch(1, 1.1, 0.34, 1.1, 0.33), Epoch(2, 1.09, 0.36, 1.1, 0.34), Epoch(3, 1.09, 0.37, 1.1, 0.33)], 0.34, 90),
    };

    /// <summary>shortcut-cue's bottom-right quarter-side square.</summary>
    private static CueRegion Corner() => ShortcutCueCheck.Candidates.Single(r => !r.Frame && r.Box.Left == 0.75 && r.Box.Top == 0.75 && r.Box.Right == 1 && r.Box.Bottom == 1);

    public static TheoryData<string> FixtureNames => [.. Fixtures.Keys];

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Should_build_every_number_of_a_message_from_its_evidence(string fixture)
    {
        // Given a fixture that makes a check report its finding
        // When it is rendered
        var findings = Fixtures[fixture]();

        // Then the fixture produced a finding of its code, and each number in the sentence is one of the evidence's
        var finding = Assert.Single(findings);
        Assert.True(fixture == finding.Code || fixture.StartsWith(finding.Code + ":", StringComparison.Ordinal), $"{fixture} rendered {finding.Code}");
        Assert.True(Unsupported(finding.Message, finding.Evidence) is [], $"numbers in the message but not in the evidence: {string.Join(", ", Unsupported(finding.Message, finding.Evidence))}\n{finding.Message}\n{string.Join("\n", finding.Evidence)}");
    }

    [Fact]
    public void Should_state_validation_below_the_majority_rate_as_below_it()
    {
        // Given validation at 52 % on average over the last 3 epochs while always guessing the largest class scores 67 %
        var finding = Assert.Single(LearningCurves.Check(
            [Epoch(1, 0.9, 0.6, 1.1, 0.55), Epoch(2, 0.5, 0.8, 1.2, 0.52), Epoch(3, 0.3, 0.9, 1.3, 0.5), Epoch(4, 0.2, 0.95, 1.4, 0.54)], 0.67, 45));

        // When / Then: the sentence says how far below, not "at the majority-class rate"
        Assert.Contains("52 %", finding.Message, StringComparison.Ordinal);
        Assert.Contains("15 points below the 67 %", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_render_the_data_findings_from_their_evidence()
    {
        // Given a dataset with one of each data fault (as DataAuditTests plants them), a 60/15 class imbalance and a
        // validation split with larger JPEGs
        using var folder = new TempFolder();
        void Pictures(string split, string label, int first, int count)
        {
            for (var i = first; i < first + count; i++) folder.Write(Path.Combine("data", split, label, $"{label}_{i:000}.png"), TestImages.Png(i, 48, 48));
        }
        Pictures("train", "cat", 0, 40);
        Pictures("train", "dog", 100, 10);
        Pictures("val", "cat", 200, 12);
        Pictures("val", "dog", 300, 3);
        PlantedDataFaults.Write(folder);
        for (var i = 0; i < 6; i++)
        {
            using var picture = TestImages.Picture(500 + i, 96, 64);
            folder.Write($"data/val/cat/large{i}.jpg", TestImages.Encode(picture, SkiaSharp.SKEncodedImageFormat.Jpeg, 95));
        }

        // When the doctor audits it
        var report = Holdout.Diagnostics.Doctor.Examine(new DoctorOptions(Path.Combine(folder.Path, "data")));

        // Then every data finding's numbers come from its evidence
        Assert.NotEmpty(report.Findings);
        foreach (var finding in report.Findings)
        {
            Assert.True(Unsupported(finding.Message, finding.Evidence) is [], $"{finding.Code}: numbers in the message but not in the evidence: {string.Join(", ", Unsupported(finding.Message, finding.Evidence))}\n{finding.Message}\n{string.Join("\n", finding.Evidence)}");
        }
        Assert.Equal(DataCodes.Order(), report.Findings.Select(f => f.Code).Where(DataCodes.Contains).Distinct().Order());
    }

    private static readonly string[] DataCodes = [FindingCodes.UnreadableFile, FindingCodes.ExtensionMismatch, FindingCodes.ExactDuplicate,
        FindingCodes.CrossSplitDuplicate, FindingCodes.ConflictingLabels, FindingCodes.ClassImbalance, FindingCodes.SplitShift, FindingCodes.TooFewImages];

    [Fact]
    public void Should_have_a_message_fixture_for_every_pipeline_and_curve_code()
    {
        // Given every finding code
        var codes = typeof(FindingCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        var data = DataCodes;

        // When / Then: the codes that are not data codes each have a fixture above (the dataset test renders all 8 data codes)
        var covered = Fixtures.Keys.Select(k => k.Split(':')[0]).ToHashSet();
        Assert.Empty(codes.Except(data).Except(covered));
        Assert.Equal(8, data.Intersect(codes).Count());
    }
}
