using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class ResumeAfterKillTests
{
    [Fact]
    public void Should_finish_a_run_killed_mid_epoch_with_the_history_of_an_uninterrupted_run()
    {
        // Given a tiny dataset and many small batches per epoch (so a kill lands inside an epoch)
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 30, size: 48);
        var killed = Path.Combine(temp.Path, "killed");
        string[] args = ["train", data, "--model", "simple-cnn", "--image-size", "48", "--epochs", "4", "--batch-size", "4",
                         "--patience", "10", "--seed", "5", "--workers", "2", "--out", killed];

        // When the CLI is killed with SIGKILL during epoch 2 and then resumed
        using (var process = Holdout.Tests.Cli.CliProcess.Start(args))
        {
            var history = Path.Combine(killed, "history.csv");
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!(File.Exists(history) && File.ReadAllLines(history).Length >= 2) && !process.HasExited && DateTime.UtcNow < deadline)
                Thread.Sleep(5);
            if (process.HasExited) Assert.Fail("the run ended before it could be killed: " + process.StandardError.ReadToEnd());
            process.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            process.WaitForExit();
        }
        var epochsAtKill = HistoryCsv.Read(Path.Combine(killed, "history.csv")).Count;
        using (var resumed = Holdout.Tests.Cli.CliProcess.Start(["train", "--resume", killed]))
        {
            var output = resumed.StandardOutput.ReadToEnd();
            resumed.WaitForExit();
            Assert.True(resumed.ExitCode == 0, output + resumed.StandardError.ReadToEnd());
            Assert.Contains("Resuming", output);
        }

        // Then its final history equals an uninterrupted run with the same seed (wall-clock seconds aside)
        var uninterrupted = TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, ImageSize: 48, Epochs: 4, BatchSize: 4,
            Patience: 10, Seed: 5, Workers: 2, Out: Path.Combine(temp.Path, "whole")));
        var final = HistoryCsv.Read(Path.Combine(killed, "history.csv"));
        Assert.InRange(epochsAtKill, 1, 3);
        Assert.Equal(uninterrupted.History.Select(e => e with { Seconds = 0 }), final.Select(e => e with { Seconds = 0 }));

        // And its TensorBoard curves, the killed session's event file and the resumed one's, hold every epoch and step once
        Assert.Equal(2, new RunFiles(killed).EventFiles.Count);
        RunEventFiles.AssertCoverHistoryOnce(killed);
        Assert.Equal(RunEventFiles.Scalars(uninterrupted.Files.Folder).Where(s => s.Tag.StartsWith("epoch/", StringComparison.Ordinal) && s.Tag != "epoch/seconds"),
                     RunEventFiles.Scalars(killed).Where(s => s.Tag.StartsWith("epoch/", StringComparison.Ordinal) && s.Tag != "epoch/seconds"));
    }
}
