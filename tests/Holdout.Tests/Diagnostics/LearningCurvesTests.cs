using Holdout.Diagnostics;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Diagnostics;

public sealed class LearningCurvesTests
{
    private static EpochRecord Epoch(int epoch, double loss, double acc, double valLoss, double valAcc, double lr = 1e-3) =>
        new(epoch, loss, acc, valLoss, valAcc, lr, 1);

    [Fact]
    public void Should_report_chance_level_validation_when_training_improves_and_validation_stays_at_the_majority_rate()
    {
        // Given: train accuracy climbs to 95% while validation sits at 50% on a balanced 2-class problem
        var history = new[]
        {
            Epoch(1, 0.69, 0.55, 0.70, 0.50), Epoch(2, 0.50, 0.75, 0.71, 0.50), Epoch(3, 0.30, 0.88, 0.72, 0.52),
            Epoch(4, 0.15, 0.95, 0.75, 0.50),
        };

        // When
        var findings = LearningCurves.Check(history, majorityRate: 0.5);

        // Then
        var finding = Assert.Single(findings);
        Assert.Equal(FindingCodes.ChanceLevelValidation, finding.Code);
        Assert.Equal(FindingSeverity.Error, finding.Severity);
    }

    [Fact]
    public void Should_name_the_epoch_where_overfitting_starts()
    {
        // Given: validation loss bottoms out at epoch 2 and rises while training loss falls
        var history = new[]
        {
            Epoch(1, 0.9, 0.60, 0.80, 0.62), Epoch(2, 0.6, 0.75, 0.55, 0.78), Epoch(3, 0.4, 0.85, 0.60, 0.77),
            Epoch(4, 0.2, 0.93, 0.70, 0.75), Epoch(5, 0.1, 0.98, 0.85, 0.74),
        };

        // When
        var findings = LearningCurves.Check(history, majorityRate: 0.34);

        // Then
        var finding = Assert.Single(findings);
        Assert.Equal(FindingCodes.Overfitting, finding.Code);
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
        Assert.Contains("from epoch 2", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_only_inform_about_overfitting_when_the_run_kept_the_weights_from_before_it()
    {
        // Given: validation loss bottoms out at epoch 4 and rises at epoch 5 (the shared beans run's shape)
        var history = new[]
        {
            Epoch(1, 1.012, 0.46, 0.874, 0.57), Epoch(2, 0.71, 0.66, 0.277, 0.90), Epoch(3, 0.218, 0.92, 0.253, 0.90),
            Epoch(4, 0.13, 0.96, 0.184, 0.94), Epoch(5, 0.08, 0.98, 0.206, 0.91),
        };

        // When the run kept epoch 4's weights, kept the last epoch's, or it is unknown
        var kept = Assert.Single(LearningCurves.Check(history, majorityRate: 0.34, keptEpoch: 4));
        var last = Assert.Single(LearningCurves.Check(history, majorityRate: 0.34, keptEpoch: 5));
        var unknown = Assert.Single(LearningCurves.Check(history, majorityRate: 0.34));

        // Then it is information that says so when the best weights were kept, a warning otherwise
        Assert.Equal(FindingSeverity.Info, kept.Severity);
        Assert.Contains("The run kept the weights of epoch 4", kept.Message, StringComparison.Ordinal);
        Assert.Equal(FindingSeverity.Warning, last.Severity);
        Assert.Equal(FindingSeverity.Warning, unknown.Severity);
        Assert.DoesNotContain("kept the weights", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_divergence_when_the_loss_explodes_or_becomes_nan()
    {
        // Given
        var exploding = new[] { Epoch(1, 1.0, 0.5, 1.0, 0.5, 0.1), Epoch(2, 0.8, 0.6, 0.9, 0.55, 0.1), Epoch(3, 9.5, 0.33, 12, 0.33, 0.1) };
        var nan = new[] { Epoch(1, 1.0, 0.5, 1.0, 0.5), Epoch(2, double.NaN, 0.33, double.NaN, 0.33) };

        // When / Then
        Assert.Equal(FindingCodes.Divergence, Assert.Single(LearningCurves.Check(exploding, 0.34)).Code);
        Assert.Equal(FindingCodes.Divergence, Assert.Single(LearningCurves.Check(nan, 0.34)).Code);
    }

    [Fact]
    public void Should_report_underfitting_when_training_accuracy_stays_near_chance()
    {
        // Given
        var history = new[] { Epoch(1, 1.10, 0.34, 1.10, 0.33), Epoch(2, 1.09, 0.36, 1.10, 0.34), Epoch(3, 1.08, 0.37, 1.09, 0.34) };

        // When
        var finding = Assert.Single(LearningCurves.Check(history, 0.34));

        // Then
        Assert.Equal(FindingCodes.Underfitting, finding.Code);
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
    }

    [Fact]
    public void Should_not_call_the_first_stepped_epoch_after_a_linear_probe_a_divergence()
    {
        // Given: the LP-FT history of holdout train samples/beans --image-size 128 --epochs 2 (measured): the probe row
        // (learning rate 0, loss on un-augmented cached features at convergence), then one all-layers epoch
        var history = new[] { Epoch(1, 0.0413, 1, 0.538, 0.815, lr: 0), Epoch(2, 2.781, 0.389, 0.481, 0.815, lr: 2e-9) };

        // When
        var findings = LearningCurves.Check(history, majorityRate: 0.33, validationCount: 27);

        // Then: validation improved; the two training losses are not comparable, so no divergence
        Assert.DoesNotContain(findings, f => f.Code == FindingCodes.Divergence);
    }

    [Fact]
    public void Should_find_nothing_in_a_healthy_run()
    {
        // Given
        var history = new[] { Epoch(1, 0.9, 0.6, 0.7, 0.70), Epoch(2, 0.5, 0.8, 0.45, 0.84), Epoch(3, 0.35, 0.88, 0.38, 0.88) };

        // When / Then
        Assert.Empty(LearningCurves.Check(history, 0.34));
    }
}
