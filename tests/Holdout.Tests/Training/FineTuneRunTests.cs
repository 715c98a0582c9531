using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

/// <summary>
/// The default recipe end to end at small size: the bundled ResNet-18, a linear probe on cached features, then every
/// layer with discriminative learning rates, through <see cref="TrainingRun"/> as <c>holdout train</c> runs it.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class FineTuneRunTests
{
    [Fact]
    public void Should_probe_the_head_then_train_every_layer_and_record_where_each_phase_starts()
    {
        // Given 60 real bean photos (20 per class) in one folder per class
        using var temp = new TempFolder();
        var data = BeanFolder(temp, 60);

        // When the default recipe runs for 3 epochs at 64 px (early stopping off, so every epoch runs)
        var result = TrainingRun.Start(new TrainRunOptions(
            Data: data, Model: Architecture.ResNet18, Epochs: 3, BatchSize: 8, ImageSize: 64, Seed: 3, Workers: 2,
            Out: Path.Combine(temp.Path, "run"), Patience: 0));

        // Then epoch 1 is the probe (no optimiser steps: lr 0) and epochs 2-3 train every layer at a positive rate
        Assert.Equal(3, result.History.Count);
        Assert.Equal(0, result.History[0].LearningRate);
        Assert.All(result.History.Skip(1), e => Assert.True(e.LearningRate > 0));
        Assert.All(result.History, e => Assert.True(double.IsFinite(e.Loss) && double.IsFinite(e.ValLoss)));
        // the probe learnt from the pretrained features: its validation loss is below the class-prior start, ln 3
        Assert.True(result.History[0].ValLoss < Math.Log(3), $"probe val_loss {result.History[0].ValLoss}");

        // And the log tells the story, summary.json lists the phases and the report marks where all layers start
        var log = File.ReadAllText(result.Files.Log);
        Assert.Contains("Phase 'head, linear probe on cached features': fitted to convergence on the features of", log, StringComparison.Ordinal);
        Assert.Contains("Phase 'all layers, discriminative lr': 2 epochs", log, StringComparison.Ordinal);
        var phases = JsonNode.Parse(File.ReadAllText(result.Files.Summary))!["phases"]!.AsArray();
        Assert.Equal(["linear-probe", "all-layers"], phases.Select(p => p!["kind"]!.GetValue<string>()));
        Assert.Equal([1, 2], phases.Select(p => p!["first_epoch"]!.GetValue<int>()));
        Assert.Equal([1, 2], phases.Select(p => p!["epochs_run"]!.GetValue<int>()));
        Assert.Contains("Phase <b>all layers, discriminative lr</b> starts at epoch 2", File.ReadAllText(result.Files.Report), StringComparison.Ordinal);

        // And the evaluation size was chosen on validation between the training size and FixRes's (64 and 80 px with the
        // standard augmentation): the lower validation loss won, summary.json's validation loss is the winner's, and
        // best.holdout evaluates at that size, so 'evaluate' reproduces the run's test numbers
        // (unless the weights kept are the probe's, fitted on unaugmented 64 px crops: then FixRes does not apply)
        var summary = JsonNode.Parse(File.ReadAllText(result.Files.Summary))!.AsObject();
        var chosen = summary["eval_image_size"]!.GetValue<int>();
        if (result.BestEpoch == 1)
        {
            Assert.Null(summary["eval_image_size_validation_loss"]);
            Assert.Equal(64, chosen);
            Assert.DoesNotContain("Evaluation size:", log, StringComparison.Ordinal);
        }
        else
        {
            var losses = summary["eval_image_size_validation_loss"]!.AsObject().ToDictionary(p => int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture), p => p.Value!.GetValue<double>());
            Assert.Equal([64, 80], losses.Keys.Order());
            Assert.Equal(losses[80] < losses[64] ? 80 : 64, chosen);
            Assert.Equal(losses[chosen], summary["val"]!["loss"]!.GetValue<double>());
            Assert.Contains($"Evaluation size: {chosen} px, chosen on validation loss", log, StringComparison.Ordinal);
            Assert.Contains($"{chosen} (chosen on validation loss:", File.ReadAllText(result.Files.Report), StringComparison.Ordinal);
        }
        using (var best = ModelBundle.Load(result.Files.Best).Model) Assert.Equal(chosen, best.EvaluationSize);
        var test = RunEvaluation.Evaluate(new RunEvaluationOptions(result.Files.Folder));
        Assert.Equal(summary["test"]!["loss"]!.GetValue<double>(), test.Predictions.Loss);
        Assert.Equal(summary["test"]!["accuracy"]!.GetValue<double>(), test.Metrics.Accuracy);
    }

    [Fact]
    public void Should_evaluate_at_the_given_evaluation_size_and_record_it_where_evaluate_and_predict_read_it()
    {
        // Given 30 bean photos in one folder per class
        using var temp = new TempFolder();
        var data = BeanFolder(temp, 30);

        // When the default recipe trains at 48 px for 2 epochs with --eval-size 64
        var result = TrainingRun.Start(new TrainRunOptions(
            Data: data, Model: Architecture.ResNet18, Epochs: 2, BatchSize: 8, ImageSize: 48, Seed: 4, Workers: 2,
            Out: Path.Combine(temp.Path, "run"), Patience: 0, EvalImageSize: 64));

        // Then nothing is compared, the run evaluates at 64 px, best.holdout says so, and evaluate, predict and the
        // summary agree on it
        var summary = JsonNode.Parse(File.ReadAllText(result.Files.Summary))!.AsObject();
        Assert.Equal(48, summary["image_size"]!.GetValue<int>());
        Assert.Equal(64, summary["eval_image_size"]!.GetValue<int>());
        Assert.Null(summary["eval_image_size_validation_loss"]);
        Assert.Contains("Evaluation size: 64 px (--eval-size; the model trained at 48 px)", File.ReadAllText(result.Files.Log), StringComparison.Ordinal);
        using (var best = ModelBundle.Load(result.Files.Best).Model) Assert.Equal(64, best.EvaluationSize);
        var validation = RunEvaluation.Evaluate(new RunEvaluationOptions(result.Files.Folder, Split: Holdout.Data.DataSplit.Validation));
        Assert.Equal(summary["val"]!["loss"]!.GetValue<double>(), validation.Predictions.Loss);
        using var predictor = Holdout.Inference.Predictor.Load(result.Files.Folder);
        Assert.Equal(64, predictor.Preprocessing.EvaluationSize);
    }

    /// <summary>The first <paramref name="count"/> sample photos copied into one folder per class under <paramref name="temp"/>.</summary>
    internal static string BeanFolder(TempFolder temp, int count)
    {
        NativeRuntime.EnsureInitialized();
        var data = Path.Combine(temp.Path, "beans");
        foreach (var sample in SampleBeans.Take(count))
        {
            var target = Path.Combine(data, SampleBeans.Classes[sample.Label], Path.GetFileName(sample.Path));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(sample.Path, target);
        }
        return data;
    }
}
