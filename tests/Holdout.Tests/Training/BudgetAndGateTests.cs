using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

/// <summary>The fine-tune gate (skip the all-layers epochs when the probe already suffices) and the wall-time budget.</summary>
[Collection(NativeCollection.Name)]
public sealed class BudgetAndGateTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2.5m", 150)]
    [InlineData(" 3M ", 180)]
    public void Should_read_budgets_as_people_write_them(string text, double seconds)
    {
        Assert.Equal(seconds, Budgets.Parse(text).TotalSeconds);
        Assert.Equal(Budgets.Parse(text), Budgets.Parse(Budgets.Format(Budgets.Parse(text))));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("ten minutes")]
    [InlineData("5x")]
    [InlineData("10m later")]
    public void Should_refuse_a_budget_that_is_not_a_duration_and_say_what_it_expects(string text)
    {
        var error = Assert.Throws<HoldoutException>(() => Budgets.Parse(text));
        Assert.Contains($"--budget '{text}' is not a duration", error.Message, StringComparison.Ordinal);
        Assert.Contains("90s, 10m, 1h or 1h30m", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_budget_below_ten_seconds_and_a_gate_outside_0_to_1()
    {
        Assert.Contains("--budget must be at least 10 seconds", Assert.Throws<HoldoutException>(() => new TrainRunOptions(Budget: TimeSpan.FromSeconds(5)).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("--fine-tune-gate must be a validation accuracy", Assert.Throws<HoldoutException>(() => new TrainRunOptions(FineTuneGate: 1.5).Validate()).Message, StringComparison.Ordinal);
        new TrainRunOptions(FineTuneGate: null, Budget: TimeSpan.FromMinutes(3)).Validate();
    }

    [Theory]
    [InlineData(180, 30, 20, 15, 40, 6)] // (180 * 0.96 - 30 - 15) / 20 = 6.39
    [InlineData(180, 20, 20, 15, 40, 7)] // 6.89: the seventh, cut short if need be, at the schedule's near-zero rate
    [InlineData(180, 30, 20, 15, 4, 4)]  // capped by --epochs
    [InlineData(60, 40, 20, 15, 40, 0)]  // nothing left after the probe and the final evaluation
    [InlineData(360, 30, 20, 15, 40, 15)] // twice the budget, more than twice the epochs: the fixed costs are paid once
    public void Should_plan_the_epochs_that_fit_after_what_ran_and_the_final_evaluation(double budget, double elapsed, double epoch, double final, int max, int expected) =>
        Assert.Equal(expected, BudgetPlan.EpochsThatFit(budget, elapsed, epoch, final, max));

    [Fact]
    public void Should_stop_before_an_epoch_that_would_not_end_in_time_and_inside_one_when_the_final_evaluation_needs_the_rest()
    {
        // Given a 100 s budget whose epochs take 20 s, validation 2 s and the final evaluation 10 s
        var plan = BudgetPlan.FromEstimates(TimeSpan.FromSeconds(100), epochs: 4, epochSeconds: 20, validationSeconds: 2, finalSeconds: 10);
        double used = 0;
        var stop = plan.Stop(() => used);
        var context = new TrainingContext(TorchSharp.torch.nn.Linear(1, 1), new TrainingOptions()) { PlannedEpochs = 5 };

        // When an epoch ends at 75 s (75 + 20 / 2 + 10 fits) and at 85 s (85 + 10 + 10 does not)
        used = 75;
        context.CompletedEpochs = 2;
        stop.OnEpochEnd(context, new EpochLogs(2) { ["seconds"] = 20 });
        Assert.False(context.StopTraining);
        used = 85;
        context.CompletedEpochs = 3;
        stop.OnEpochEnd(context, new EpochLogs(3) { ["seconds"] = 20 });

        // Then it stops before the next and says why
        Assert.True(context.StopTraining);
        Assert.Contains("the budget of 1m40s leaves no time for half of another 20 s epoch", context.StopReason, StringComparison.Ordinal);

        // And inside an epoch: at 87 s a batch ends with time for validation and the final evaluation (87 + 2 + 10 < 100);
        // at 89 s it does not
        var inside = new TrainingContext(TorchSharp.torch.nn.Linear(1, 1), new TrainingOptions()) { PlannedEpochs = 5 };
        used = 87;
        stop.OnBatchEnd(inside, new BatchLogs(4, 10, 30, 0.5, 0.5, 1, 0.5, 1e-3));
        Assert.False(inside.StopTraining);
        used = 89;
        stop.OnBatchEnd(inside, new BatchLogs(4, 11, 30, 0.5, 0.5, 1, 0.5, 1e-3));
        Assert.True(inside.StopTraining);
        Assert.Contains("ran out during epoch 4 (step 11 of 30)", inside.StopReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_skip_the_all_layers_epochs_when_the_probe_passes_the_gate_on_enough_validation_images()
    {
        // Given 700 bean photos (105 validation images) and a gate the probe passes (0.5), and the same at 60 photos (9)
        using var temp = new TempFolder();
        var many = FineTuneRunTests.BeanFolder(temp, 700);
        var options = new TrainRunOptions(Data: many, Model: Architecture.ResNet18, Epochs: 3, BatchSize: 16, ImageSize: 64, Seed: 3, Workers: 2,
            Patience: 0, FineTuneGate: 0.5, Out: Path.Combine(temp.Path, "gated"));

        // When the default recipe runs
        var gated = TrainingRun.Start(options);

        // Then only the probe ran: one history row, the log and summary.json say why, and the test numbers are the probe's
        // on cached features, which 'evaluate' (images through the backbone) reproduces
        Assert.Single(gated.History);
        var reason = JsonNode.Parse(File.ReadAllText(gated.Files.Summary))!["stop_reason"]!.GetValue<string>();
        Assert.StartsWith("the linear probe already classifies", reason, StringComparison.Ordinal);
        Assert.Contains("of the 105 validation images correctly (--fine-tune-gate 0.5)", reason, StringComparison.Ordinal);
        Assert.Contains("Stopped: the linear probe already classifies", File.ReadAllText(gated.Files.Log), StringComparison.Ordinal);
        var test = RunEvaluation.Evaluate(new RunEvaluationOptions(gated.Files.Folder));
        Assert.Equal(gated.Metrics[Holdout.Data.DataSplit.Test].Accuracy, test.Metrics.Accuracy);
        Assert.Equal(gated.Predictions[Holdout.Data.DataSplit.Test].Loss, test.Predictions.Loss, 1e-4);

        // And a strong probe (>= 0.97 on >= 100 validation images) must be beaten by the first all-layers epoch
        using (var setup = RunSetup.Create(options, RunData.Prepare(options).Split))
        {
            var strong = new EpochRecord(1, 0.01, 1.0, 0.065, 0.98, 0, 25);
            Assert.Contains("the first all-layers epoch's val_loss 0.1601 did not beat the linear probe's 0.0650", setup.StrongProbeReason(strong, 0.1601), StringComparison.Ordinal);
            Assert.Null(setup.StrongProbeReason(strong, 0.05));
            Assert.Null(setup.StrongProbeReason(strong with { ValAccuracy = 0.96 }, 0.1601));
        }
        using (var off = RunSetup.Create(options with { FineTuneGate = null }, RunData.Prepare(options).Split))
            Assert.Null(off.StrongProbeReason(new EpochRecord(1, 0.01, 1.0, 0.065, 0.98, 0, 25), 0.1601));

        // And with the gate off every epoch runs
        var ungated = TrainingRun.Start(options with { FineTuneGate = null, Epochs = 2, Out = Path.Combine(temp.Path, "ungated") });
        Assert.Equal(2, ungated.History.Count);
    }

    [Fact]
    public void Should_try_the_FixRes_size_only_for_weights_trained_on_random_crops_not_for_a_kept_probe()
    {
        // Given a fine-tune setup at 64 px with the standard augmentation (FixRes candidate: 80 px)
        using var temp = new TempFolder();
        var options = new TrainRunOptions(Data: FineTuneRunTests.BeanFolder(temp, 60), Model: Architecture.ResNet18, BatchSize: 8, ImageSize: 64, Seed: 3, Workers: 2);
        using var setup = RunSetup.Create(options, RunData.Prepare(options).Split);

        // When the evaluation size is chosen for weights of the all-layers phase, and for the probe's
        var trained = setup.ChooseEvaluationSize();
        setup.KeptLinearProbe = true;
        var probe = setup.ChooseEvaluationSize();

        // Then the first compares 64 and 80 px on validation and keeps the lower loss; the second stays at 64 px
        Assert.Equal([64, 80], trained.ValidationLoss.Keys.Order());
        Assert.Equal(trained.ValidationLoss[80] < trained.ValidationLoss[64] ? 80 : 64, trained.Size);
        Assert.Equal((64, 0), (probe.Size, probe.ValidationLoss.Count));
        Assert.Equal(64, setup.Model.EvaluationSize);
    }

    [Fact]
    public void Should_plan_a_budget_run_record_the_plan_and_report_what_it_bought()
    {
        // Given 60 bean photos, a generous budget and at most 3 epochs
        using var temp = new TempFolder();
        var data = FineTuneRunTests.BeanFolder(temp, 60);

        // When the default recipe runs with --budget 10m --epochs 3
        var result = TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.ResNet18, Epochs: 3, BatchSize: 8, ImageSize: 64, Seed: 3, Workers: 2,
            Patience: 0, Budget: TimeSpan.FromMinutes(10), Out: Path.Combine(temp.Path, "run")));

        // Then it planned the two all-layers epochs the cap allows, ran them, and says what the budget bought
        Assert.Equal(3, result.History.Count);
        var config = JsonNode.Parse(File.ReadAllText(result.Files.Config))!;
        Assert.Equal(3, config["budget_plan"]!["epochs"]!.GetValue<int>());
        // (config.json also records how auto chose the precision: with both timings where bf16 is native)
        var precision = config["precision_choice"]!;
        Assert.Equal(("auto", config["effective"]!["precision"]!.GetValue<string>()), (precision["requested"]!.GetValue<string>(), precision["chosen"]!.GetValue<string>()));
        if (PrecisionSupport.CpuHasNativeBf16)
        {
            Assert.Equal(("training", 8, 64), (precision["workload"]!.GetValue<string>(), precision["batch_size"]!.GetValue<int>(), precision["image_size"]!.GetValue<int>()));
            Assert.True(precision["fp32_step_seconds"]!.GetValue<double>() > 0 && precision["bf16_step_seconds"]!.GetValue<double>() > 0);
        }
        var budget = JsonNode.Parse(File.ReadAllText(result.Files.Summary))!["budget"]!;
        Assert.Equal(600, budget["seconds"]!.GetValue<double>());
        Assert.Equal((2, 2, false), (budget["planned_epochs"]!.GetValue<int>(), budget["epochs_run"]!.GetValue<int>(), budget["stopped_by_budget"]!.GetValue<bool>()));
        Assert.InRange(budget["used_seconds"]!.GetValue<double>(), 1, 600);
        var log = File.ReadAllText(result.Files.Log);
        Assert.Contains("Budget 10m: 2 epochs of 'all layers, discriminative lr' at 64 px (estimates:", log, StringComparison.Ordinal);
        Assert.Contains("it bought 2 of 2 planned epochs of 'all layers, discriminative lr' after 1 before them", log, StringComparison.Ordinal);
    }
}
