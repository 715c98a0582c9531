using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class RunTensorBoardTests
{
    public enum Interruption
    {
        /// <summary>The process dies after the event file got the epoch and before its checkpoint was saved.</summary>
        CrashAfterEpochLogged,

        /// <summary>Ctrl-C in the middle of an epoch (the logger writes the batches it has on the way out).</summary>
        CancelMidEpoch,
    }

    [Fact]
    public void Should_write_the_runs_curves_configuration_and_preview_to_one_event_file_in_its_folder()
    {
        // Given a finished tiny run (3 epochs)
        var files = new RunFiles(TinyRun.Folder);

        // When its folder's event files are read by the tests' own reader
        var file = Assert.Single(files.EventFiles);
        var events = EventFileReader.Read(file);

        // Then the file is named as TensorFlow names event files, in the run folder itself (tensorboard --logdir runs)
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\..+\.holdout$", Path.GetFileName(file));
        Assert.Equal(Path.GetFullPath(TinyRun.Folder), Path.GetDirectoryName(Path.GetFullPath(file)));
        Assert.Equal("brain.Event:2", events[0].FileVersion);

        // And its epoch scalars equal history.csv and every training step has its loss and learning rate
        RunEventFiles.AssertCoverHistoryOnce(TinyRun.Folder);
        Assert.Equal(3, HistoryCsv.Read(files.History).Count);

        // And it holds config.json as text and preview.png as an image, byte for byte
        var values = events.SelectMany(e => e.Values).ToList();
        var config = Assert.Single(values, v => v.Tag == "config");
        Assert.Equal(("text", "```json\n" + File.ReadAllText(files.Config) + "\n```"), (config.PluginName, config.Text));
        var preview = Assert.Single(values, v => v.Tag == "preview");
        Assert.Equal(File.ReadAllBytes(files.Preview), preview.Image!.Encoded);
    }

    [Theory]
    [InlineData(Interruption.CrashAfterEpochLogged, 1, 1)]
    [InlineData(Interruption.CrashAfterEpochLogged, 2, 2)]
    [InlineData(Interruption.CancelMidEpoch, 2, 2)]
    public void Should_log_every_epoch_and_step_once_when_an_interrupted_run_is_resumed(Interruption interruption, int epoch, int filesAfterResume)
    {
        // Given a tiny run interrupted in epoch `epoch`, after its event file already received events of that epoch
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 14);
        var folder = Path.Combine(temp.Path, "run");
        using var cancel = new CancellationTokenSource();
        var interrupt = new Interrupt(interruption, epoch, cancel);
        var options = new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, Epochs: 3, BatchSize: 8, ImageSize: 32, Seed: 3,
            Workers: 2, Out: folder, Patience: 0);
        if (interruption == Interruption.CancelMidEpoch)
            Assert.ThrowsAny<OperationCanceledException>(() => TrainingRun.Start(options, new TrainingRunHooks(interrupt), cancel.Token));
        else
            Assert.Throws<InvalidOperationException>(() => TrainingRun.Start(options, new TrainingRunHooks(interrupt)));
        var atInterruption = RunEventFiles.Scalars(folder);
        Assert.Contains(atInterruption, s => s.Tag == "batch/loss" && s.Step > (epoch - 1) * interrupt.Steps);
        if (interruption == Interruption.CrashAfterEpochLogged) Assert.Contains(atInterruption, s => s.Tag == "epoch/loss" && s.Step == epoch);

        // When it is resumed
        TrainingRun.Resume(folder);

        // Then a new event file continues the old (or replaces it when no epoch was saved) and, together, they hold
        // every epoch of history.csv once, every training step once, and the configuration and preview once
        var files = new RunFiles(folder);
        Assert.Equal(filesAfterResume, files.EventFiles.Count);
        RunEventFiles.AssertCoverHistoryOnce(folder);
        Assert.Equal(3, HistoryCsv.Read(files.History).Count);
        var values = RunEventFiles.Read(folder).SelectMany(e => e.Values).ToList();
        Assert.Single(values, v => v.Tag == "config");
        Assert.Single(values, v => v.Tag == "preview");
    }

    /// <summary>
    /// Interrupts the run as a progress display could: it sits after the TensorBoard logger and before the checkpoint,
    /// so at an epoch's end the event file already holds the epoch and the checkpoint does not.
    /// </summary>
    private sealed class Interrupt(Interruption how, int epoch, CancellationTokenSource cancel) : Callback
    {
        public int Steps { get; private set; }

        public override void OnBatchEnd(TrainingContext context, BatchLogs logs)
        {
            Steps = logs.Steps;
            if (how == Interruption.CancelMidEpoch && logs.Epoch == epoch && logs.Step == 2) cancel.Cancel();
        }

        public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
        {
            if (how == Interruption.CrashAfterEpochLogged && logs.Epoch == epoch) throw new InvalidOperationException("simulated crash");
        }
    }
}
