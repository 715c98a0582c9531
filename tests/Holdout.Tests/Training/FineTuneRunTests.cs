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
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "beans");
        foreach (var sample in SampleBeans.Take(60))
        {
            var target = Path.Combine(data, SampleBeans.Classes[sample.Label], Path.GetFileName(sample.Path));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(sample.Path, target);
        }

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
    }
}
