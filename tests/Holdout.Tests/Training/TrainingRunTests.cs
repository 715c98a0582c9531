using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class TrainingRunTests
{
    private static TrainRunOptions Tiny(string data, string output, long seed = 7) => new(
        Data: data, Model: Architecture.SimpleCnn, Epochs: 3, BatchSize: 8, ImageSize: 32, Seed: seed, Workers: 2, Out: output, Patience: 0);

    [Fact]
    public void Should_write_a_complete_run_folder_and_beat_chance_on_held_out_images()
    {
        // Given a tiny learnable dataset of 3 colour classes
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 20);

        // When a run trains the simple CNN from scratch
        var result = TrainingRun.Start(Tiny(data, Path.Combine(temp.Path, "run")));

        // Then the run folder has every file, summary.json has the documented fields, and test accuracy beats chance
        foreach (var file in new[] { result.Files.Config, result.Files.Split, result.Files.History, result.Files.Best, result.Files.Last,
                                     result.Files.Summary, result.Files.Log, result.Files.Report, result.Files.TestPredictions })
            Assert.True(File.Exists(file), $"missing {file}");
        var summary = JsonNode.Parse(File.ReadAllText(result.Files.Summary))!.AsObject();
        foreach (var key in new[] { "classes", "model", "recipe", "epochs_run", "best_epoch", "train", "val", "test", "throughput", "seconds" })
            Assert.True(summary.ContainsKey(key), $"summary.json lacks {key}");
        Assert.Equal("scratch", summary["recipe"]!.GetValue<string>());
        Assert.Equal(3, summary["epochs_run"]!.GetValue<int>());
        foreach (var key in new[] { "loss", "accuracy", "macro_f1", "per_class", "confusion" })
            Assert.True(summary["test"]!.AsObject().ContainsKey(key), $"summary.test lacks {key}");
        Assert.True(summary["throughput"]!["train_images_per_s"]!.GetValue<double>() > 0);
        Assert.True(result.Metrics[Holdout.Data.DataSplit.Test].Accuracy > 0.5, $"test accuracy {result.Metrics[Holdout.Data.DataSplit.Test].Accuracy}");
        var config = JsonNode.Parse(File.ReadAllText(result.Files.Config))!.AsObject();
        Assert.Equal(7, config["seed"]!.GetValue<long>());
        Assert.Equal("simple-cnn", config["options"]!["model"]!.GetValue<string>());
        Assert.Equal("resnet18", OptionNames.Of(Architecture.ResNet18));
        Assert.Equal("2.10.0", string.Join('.', config["versions"]!["libtorch"]!.GetValue<string>().Split('.').Take(3)));
    }

    [Fact]
    public void Should_give_the_same_history_for_the_same_seed_and_refuse_to_overwrite_a_run()
    {
        // Given a tiny dataset
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp);

        // When two runs use the same seed
        var first = TrainingRun.Start(Tiny(data, Path.Combine(temp.Path, "a")));
        var second = TrainingRun.Start(Tiny(data, Path.Combine(temp.Path, "b")));

        // Then their histories are identical but for wall-clock seconds, and so are their splits
        Assert.Equal(first.History.Select(e => e with { Seconds = 0 }), second.History.Select(e => e with { Seconds = 0 }));
        Assert.Equal(File.ReadAllText(first.Files.Split), File.ReadAllText(second.Files.Split));

        // And starting again into an existing run folder is refused with the fix named
        var error = Assert.Throws<HoldoutException>(() => TrainingRun.Start(Tiny(data, first.Files.Folder)));
        Assert.Contains("--resume", error.Message);
    }

    [Fact]
    public void Should_say_on_resume_when_the_run_started_with_another_processor_or_thread_count()
    {
        // Given a finished tiny run, whose config.json records this processor and thread count
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp);
        var run = TrainingRun.Start(Tiny(data, Path.Combine(temp.Path, "run")));
        var config = JsonNode.Parse(File.ReadAllText(run.Files.Config))!.AsObject();
        var here = EngineInfo.Describe();
        Assert.Equal(here.Processor, config["versions"]!["processor"]!.GetValue<string>());
        Assert.Equal(here.Threads, config["versions"]!["threads"]!.GetValue<int>());

        // When it is resumed on the same setup (auto then keeps the precision config.json records, not a new
        // measurement: shown by recording the other one), then as if it had started on another processor with more threads
        var recorded = config["effective"]!["precision"]!.GetValue<string>();
        var other = recorded == "bf16" ? "fp32" : "bf16";
        config["effective"]!["precision"] = other;
        File.WriteAllText(run.Files.Config, config.ToJsonString());
        var sameSetup = new List<string>();
        TrainingRun.Resume(run.Files.Folder, new TrainingRunHooks(Log: sameSetup.Add));
        Assert.Contains(sameSetup, l => l.Contains($"precision {other} (auto: as measured when the run started (config.json))", StringComparison.Ordinal));
        config["effective"]!["precision"] = recorded;
        config["versions"]!["threads"] = here.Threads + 3;
        config["versions"]!["processor"] = "Another CPU (family 25, model 1)";
        File.WriteAllText(run.Files.Config, config.ToJsonString());
        var otherSetup = new List<string>();
        TrainingRun.Resume(run.Files.Folder, new TrainingRunHooks(Log: otherSetup.Add));

        // Then only the second says so, naming each difference, and that the epochs left will not repeat bit for bit
        Assert.DoesNotContain(sameSetup, l => l.Contains("another setup", StringComparison.Ordinal));
        var note = Assert.Single(otherSetup, l => l.Contains("another setup", StringComparison.Ordinal));
        Assert.Contains($"threads {here.Threads + 3} -> {here.Threads}", note);
        Assert.Contains($"processor Another CPU (family 25, model 1) -> {here.Processor}", note);
        Assert.DoesNotContain("precision", note);
        Assert.Contains("bit for bit", note);
    }
}
