using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Runs;

namespace Holdout.Tests.Runs;

public sealed class RunLockTests
{
    [Fact]
    public void Should_refuse_a_second_writer_while_the_folder_is_held_and_let_one_in_after_release()
    {
        // Given a run folder held by this process
        using var temp = new TempFolder();
        var folder = Path.Combine(temp.Path, "run");
        var held = RunLock.Acquire(folder);

        // When a second lock and a training run into the folder are attempted
        var second = Assert.Throws<HoldoutException>(() => RunLock.Acquire(folder));
        var training = Assert.Throws<HoldoutException>(() => TrainingRun.Start(new TrainRunOptions(Data: temp.Path, Model: Architecture.SimpleCnn, Out: folder)));

        // Then both are refused, naming the holder and how to proceed
        foreach (var error in new[] { second, training })
        {
            Assert.Contains($"'{folder}' is in use by holdout process {Environment.ProcessId} on {Environment.MachineName}", error.Message);
            Assert.Contains($"holdout train --resume {folder}", error.Message);
            Assert.Contains("choose another --out", error.Message);
        }

        // And once released, the folder is free (run.lock empty) and can be taken without a takeover
        held.Dispose();
        Assert.Equal(0, new FileInfo(Path.Combine(folder, RunLock.FileName)).Length);
        using var again = RunLock.Acquire(folder);
        Assert.Null(again.TakeoverNote);
    }

    [Fact]
    public void Should_refuse_a_run_lock_that_names_a_live_process_even_without_an_operating_system_lock()
    {
        // Given a run.lock naming this (running) process, but no open lock on it (as where file locks are not enforced)
        using var temp = new TempFolder();
        using var current = Process.GetCurrentProcess();
        WriteLock(temp.Path, Environment.ProcessId, new DateTimeOffset(current.StartTime));

        // When another writer tries to take the folder
        var error = Assert.Throws<HoldoutException>(() => RunLock.Acquire(temp.Path));

        // Then it is refused, naming that process
        Assert.Contains($"in use by holdout process {Environment.ProcessId}", error.Message);
    }

    [Fact]
    public void Should_take_over_a_run_lock_left_by_a_process_that_died_and_remove_its_temporary_files()
    {
        // Given a run.lock left by a process that has ended, with a temporary file it was writing and one of another process
        using var temp = new TempFolder();
        int dead;
        using (var process = ChildProcess.Start("true", []))
        {
            process.WaitForExit();
            dead = process.Id;
        }
        WriteLock(temp.Path, dead, DateTimeOffset.Now.AddMinutes(-5));
        var leftover = temp.Write($".last.holdout.{dead}.0123abcd.tmp", [1, 2, 3]);
        var someoneElses = temp.Write($".report.html.{dead + 1}.0123abcd.tmp", [1, 2, 3]);

        // When a new run takes the folder
        using var taken = RunLock.Acquire(temp.Path);

        // Then it says it took over from the dead process, removed that process's leftovers and kept the others
        Assert.NotNull(taken.TakeoverNote);
        Assert.Contains($"left by holdout process {dead} on {Environment.MachineName}", taken.TakeoverNote);
        Assert.Contains("no longer running", taken.TakeoverNote);
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(someoneElses));
        Assert.Contains($"\"pid\": {Environment.ProcessId}", File.ReadAllText(Path.Combine(temp.Path, RunLock.FileName)));
    }

    private static void WriteLock(string folder, int pid, DateTimeOffset processStarted) =>
        File.WriteAllText(Path.Combine(folder, RunLock.FileName), new JsonObject
        {
            ["pid"] = pid,
            ["host"] = Environment.MachineName,
            ["process_started"] = processStarted.ToString("O", CultureInfo.InvariantCulture),
            ["since"] = processStarted.ToString("O", CultureInfo.InvariantCulture),
            ["command"] = "holdout train",
            ["token"] = "earlier",
        }.ToJsonString());
}
