using Holdout.Models;
using Holdout.Runs;
using Holdout.Tests.Cli;

namespace Holdout.Tests.Training;

/// <summary>
/// Runs of the real <c>holdout</c> process stopped at the moments that can go wrong (a kill inside an epoch, Ctrl-C,
/// a kill between the fine-tune phases, inside a checkpoint's rename, after the last epoch) and continued with
/// <c>--resume</c>: each must end exactly as an uninterrupted run with the same seed. The exact moments come from the
/// internal <c>HOLDOUT_PAUSE_AT</c> points, where the process stops and waits to be killed.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class ResumeAfterKillTests(UninterruptedRuns reference) : IClassFixture<UninterruptedRuns>
{
    [Fact]
    public void Should_finish_a_run_killed_mid_epoch_with_the_history_of_an_uninterrupted_run()
    {
        // Given a tiny dataset and many small batches per epoch (so a kill lands inside an epoch), in one stated
        // precision: --precision auto is decided per process by timing (the CLI keeps its decision on disk, this test
        // process does not), and the point here is the resume, not that choice
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 30, size: 48);
        var killed = Path.Combine(temp.Path, "killed");
        string[] args = ["train", data, "--model", "simple-cnn", "--image-size", "48", "--epochs", "4", "--batch-size", "4",
                         "--patience", "10", "--seed", "5", "--workers", "2", "--precision", "fp32", "--out", killed];

        // When the CLI is killed with SIGKILL during epoch 2 and then resumed
        using (var process = CliProcess.Start(args))
        {
            WaitForEpochs(process, killed, 1);
            process.Kill(); // SIGKILL (the whole process tree): no chance to clean up
        }
        var epochsAtKill = HistoryCsv.Read(Path.Combine(killed, "history.csv")).Count;
        var resumed = CliProcess.Run("train", "--resume", killed);
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Errors);
        Assert.Contains("Resuming", resumed.Output);

        // Then its final history equals an uninterrupted run with the same seed (wall-clock seconds aside)
        var uninterrupted = TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, ImageSize: 48, Epochs: 4, BatchSize: 4,
            Patience: 10, Seed: 5, Workers: 2, Precision: Precision.Fp32, Out: Path.Combine(temp.Path, "whole")));
        var final = HistoryCsv.Read(Path.Combine(killed, "history.csv"));
        Assert.InRange(epochsAtKill, 1, 3);
        Assert.Equal(uninterrupted.History.Select(e => e with { Seconds = 0 }), final.Select(e => e with { Seconds = 0 }));

        // And its TensorBoard curves, the killed session's event file and the resumed one's, hold every epoch and step once
        Assert.Equal(2, new RunFiles(killed).EventFiles.Count);
        RunEventFiles.AssertCoverHistoryOnce(killed);
        Assert.Equal(RunEventFiles.Scalars(uninterrupted.Files.Folder).Where(s => s.Tag.StartsWith("epoch/", StringComparison.Ordinal) && s.Tag != "epoch/seconds"),
                     RunEventFiles.Scalars(killed).Where(s => s.Tag.StartsWith("epoch/", StringComparison.Ordinal) && s.Tag != "epoch/seconds"));
    }

    [SigintFact]
    public void Should_stop_between_batches_on_ctrl_c_and_resume_to_the_outcome_of_an_uninterrupted_run()
    {
        // Given the simple CNN run (it trains 4 epochs) started through the CLI
        var whole = reference.SimpleCnn;
        var folder = reference.NewFolder("interrupted");
        ChildProcess.Result interrupted;
        using (var process = CliProcess.Start(reference.SimpleCnnArguments(folder)))
        {
            // When it gets SIGINT (what Ctrl-C sends) in its second epoch
            WaitForEpochs(process, folder, 1);
            process.Signal("INT");
            interrupted = process.WaitForExit();
        }

        // Then it stops before the end, exits as interrupted (128 + SIGINT) with no failure, and says how to continue
        Assert.True(interrupted.ExitCode == 130, $"exit code {interrupted.ExitCode}\n{interrupted.Output}\n{interrupted.Errors}");
        Assert.Contains("Stopping after the current batch", interrupted.Errors);
        Assert.DoesNotContain("error", interrupted.Errors);
        Assert.Contains($"holdout train --resume {folder}", interrupted.Output);
        Assert.InRange(HistoryCsv.Read(Path.Combine(folder, "history.csv")).Count, 1, whole.History.Count - 1);
        Assert.False(File.Exists(Path.Combine(folder, "summary.json")));

        // And --resume completes it to the history and summary of the uninterrupted run
        var resumed = CliProcess.Run("train", "--resume", folder);
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Errors);
        UninterruptedRuns.AssertSameOutcome(whole, folder);
    }

    [Fact]
    public void Should_resume_a_fine_tune_run_killed_between_its_phases_to_the_outcome_of_an_uninterrupted_run()
    {
        // Given the fine-tune run (1 head epoch, then 1 all-layers epoch)
        var whole = reference.FineTune;
        var folder = reference.NewFolder("killed-at-phase-boundary");

        // When it is killed where the head phase has ended and resumed
        var resumed = KillThenResume("phase-boundary", reference.FineTuneArguments(folder), folder, epochsSaved: 1);

        // Then the resumed run starts the second phase and ends as the uninterrupted one
        Assert.Contains("Resuming", resumed.Output);
        UninterruptedRuns.AssertSameOutcome(whole, folder);
    }

    [Fact]
    public void Should_resume_a_run_killed_while_replacing_its_checkpoint_to_the_outcome_of_an_uninterrupted_run()
    {
        // Given the simple CNN run
        var whole = reference.SimpleCnn;
        var folder = reference.NewFolder("killed-in-checkpoint");

        // When it is killed inside epoch 2's checkpoint (the new last.holdout complete in its temporary file, not yet
        // renamed over epoch 1's; epoch 2's optimiser state already written) and resumed
        var resumed = KillThenResume("replace:last.holdout@2", reference.SimpleCnnArguments(folder), folder, epochsSaved: 1,
            whilePaused: _ => Assert.NotEmpty(Directory.GetFiles(folder, ".last.holdout.*.tmp")));

        // Then it continues from epoch 1's checkpoint, with epoch 1's optimiser state, to the uninterrupted outcome,
        // and the dead process's temporary file is gone
        Assert.Contains("after epoch 1", resumed.Output);
        UninterruptedRuns.AssertSameOutcome(whole, folder);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Should_resume_a_run_killed_in_its_final_evaluation_to_the_outcome_of_an_uninterrupted_run()
    {
        // Given the simple CNN run, which stops early with its best weights from an earlier epoch than its last
        var whole = reference.SimpleCnn;
        Assert.True(whole.BestEpoch < whole.History.Count, $"the reference must not end on its best epoch (best {whole.BestEpoch}, last {whole.History.Count})");
        var folder = reference.NewFolder("killed-in-final-evaluation");

        // When it is paused after its last epoch, before the final evaluation and report, a second holdout tries to
        // train into the folder (a new run and a resume), and then the first is killed there and the run resumed
        var refused = new List<ChildProcess.Result>();
        var holder = 0;
        var resumed = KillThenResume("final-evaluation", reference.SimpleCnnArguments(folder), folder, epochsSaved: whole.History.Count, whilePaused: paused =>
        {
            holder = paused.Id;
            refused.Add(CliProcess.Run(reference.SimpleCnnArguments(folder)));
            refused.Add(CliProcess.Run("train", "--resume", folder));
        });

        // Then the second writers were refused, naming the process that held the folder and how to continue
        Assert.Equal(2, refused.Count);
        foreach (var r in refused)
        {
            Assert.True(r.ExitCode == 1, r.Output + r.Errors);
            Assert.Contains("error: ", r.Errors);
            Assert.Contains($"in use by holdout process {holder}", r.Errors);
            Assert.Contains($"--resume {folder}", r.Errors);
        }

        // And the resumed run took over the dead process's lock, trained nothing more, and evaluated the best weights
        // (not the last) exactly as the uninterrupted run did
        Assert.Contains("no longer running", resumed.Output);
        Assert.DoesNotContain("Epoch ", resumed.Output);
        UninterruptedRuns.AssertSameOutcome(whole, folder);
    }

    /// <summary>
    /// Starts <c>holdout</c> with <paramref name="args"/>, waits until it pauses at <paramref name="point"/> with
    /// <paramref name="epochsSaved"/> epochs in history.csv, runs <paramref name="whilePaused"/>, SIGKILLs it there and
    /// continues the run with <c>holdout train --resume</c>; returns what the resumed run printed (it must succeed).
    /// </summary>
    private static ChildProcess.Result KillThenResume(string point, string[] args, string folder, int epochsSaved, Action<PausedCliProcess>? whilePaused = null)
    {
        using (var paused = PausedCliProcess.Start(point, args))
        {
            Assert.Equal(epochsSaved, HistoryCsv.Read(Path.Combine(folder, "history.csv")).Count);
            whilePaused?.Invoke(paused);
            paused.Kill(); // SIGKILL: no chance to clean up
        }
        var resumed = CliProcess.Run("train", "--resume", folder);
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Errors);
        return resumed;
    }

    /// <summary>How long a test waits for a run to save its epochs before it fails (the runs take seconds; minutes mean a hang).</summary>
    internal static readonly TimeSpan EpochDeadline = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Waits until the run in <paramref name="runFolder"/> has saved <paramref name="epochs"/> epochs; fails (killing
    /// the process) if the process ends first or <see cref="EpochDeadline"/> passes.
    /// </summary>
    private static void WaitForEpochs(ChildProcess process, string runFolder, int epochs)
    {
        var history = Path.Combine(runFolder, "history.csv");
        process.WaitUntil($"{epochs} epoch(s) saved in {history} (the run must be stopped after them)",
            () => File.Exists(history) && File.ReadAllLines(history).Length >= epochs + 1, EpochDeadline);
    }
}
