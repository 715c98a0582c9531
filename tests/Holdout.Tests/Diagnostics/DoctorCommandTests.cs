using System.Text.Json.Nodes;
using Holdout.Diagnostics;
using Holdout.Models;
using Holdout.Native;
using Holdout.Tests.Cli;
using Holdout.Tests.Training;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Diagnostics;

[Collection(NativeCollection.Name)]
public sealed class DoctorCommandTests
{
    private static (int ExitCode, string Output, string Error) RunCli(params string[] args)
    {
        var result = CliProcess.Run(args);
        return (result.ExitCode, result.Output, result.Errors);
    }

    [Fact]
    public void Should_exit_1_with_a_json_document_when_a_split_leaks_and_2_on_bad_usage()
    {
        // Given: a split dataset with a training image copied into validation
        using var folder = new TempFolder();
        for (var i = 0; i < 12; i++)
        {
            folder.Write($"data/train/a/a{i}.png", TestImages.Png(i));
            folder.Write($"data/train/b/b{i}.png", TestImages.Png(100 + i));
            folder.Write($"data/val/a/va{i}.png", TestImages.Png(200 + i));
            folder.Write($"data/val/b/vb{i}.png", TestImages.Png(300 + i));
        }
        folder.Write("data/val/b/leak.png", TestImages.Png(3));
        var data = Path.Combine(folder.Path, "data");

        // When
        var json = RunCli("doctor", data, "--json");
        var text = RunCli("doctor", data);
        var missing = RunCli("doctor", Path.Combine(folder.Path, "nothing-here"));
        var deepWithoutRun = RunCli("doctor", data, "--deep");

        // Then
        Assert.Equal(1, json.ExitCode);
        var findings = JsonNode.Parse(json.Output)!["findings"]!.AsArray();
        var leak = Assert.Single(findings, f => f!["code"]!.GetValue<string>() == FindingCodes.CrossSplitDuplicate)!;
        Assert.Equal("error", leak["severity"]!.GetValue<string>());
        Assert.Contains(leak["evidence"]!.AsArray(), e => e!.GetValue<string>().Contains("leak.png", StringComparison.Ordinal));
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("ERROR cross-split-duplicate", text.Output, StringComparison.Ordinal);
        Assert.Contains("fix:", text.Output, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
        Assert.Equal(2, deepWithoutRun.ExitCode);
    }

    [Fact]
    public void Should_probe_a_holdout_run_and_time_the_checks_that_train()
    {
        // Given: a tiny run of holdout train
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 10, size: 32);
        var run = Path.Combine(temp.Path, "run");
        TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, Epochs: 1, BatchSize: 8, ImageSize: 32, Seed: 7, Workers: 2, Out: run, Patience: 0));

        // When
        var report = Holdout.Diagnostics.Doctor.Examine(new DoctorOptions(data, run, Deep: true,
            Pipeline: new PipelineCheckOptions(StatisticsBatches: 2, OverfitSteps: 100, ShuffleSamples: 16)));

        // Then: the data, pipeline and deep checks all ran on the run's own split and setup, and Holdout's own
        // pipeline has no pipeline error
        foreach (var check in new[] { "data", FindingCodes.EvalCoverage, FindingCodes.PreprocessingMismatch, FindingCodes.BatchNormModeGap, FindingCodes.InitLoss, FindingCodes.LossActivationMismatch })
        {
            Assert.Contains(report.Timings, t => t.Check == check && !t.Deep);
        }
        Assert.Contains(report.Timings, t => t.Check == FindingCodes.OneBatchOverfit && t.Deep);
        Assert.Contains(report.Timings, t => t.Check == FindingCodes.LabelShuffleBaseline && t.Deep);
        foreach (var code in new[] { FindingCodes.EvalCoverage, FindingCodes.PreprocessingMismatch, FindingCodes.BatchNormModeGap, FindingCodes.LossActivationMismatch, FindingCodes.OneBatchOverfit })
        {
            Assert.Empty(report.WithCode(code));
        }
    }
}
