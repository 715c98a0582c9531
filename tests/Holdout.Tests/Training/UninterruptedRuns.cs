using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Runs;

namespace Holdout.Tests.Training;

/// <summary>
/// The reference runs that interrupted and killed runs must reproduce once resumed: a tiny dataset and, trained in
/// this process on first use, (1) the simple CNN for up to 5 epochs watching <c>val_acc</c> with patience 1 (the
/// colour classes reach a validation accuracy of 1.0 within the first epochs, which no later epoch can improve on, so
/// it stops early two epochs later: its best weights are not its last), and (2) the pretrained ResNet-18 with the
/// fine-tune recipe (1 head epoch, then 1 all-layers epoch: one phase boundary). Both ask for bf16: --precision auto
/// is measured per process, and this process and the command-line children must compute alike.
/// </summary>
public sealed class UninterruptedRuns : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly Lazy<string> _data;
    private readonly Lazy<TrainingRunResult> _simpleCnn;
    private readonly Lazy<TrainingRunResult> _fineTune;

    public UninterruptedRuns()
    {
        _data = new(() => TinyImageFolder.Create(_temp, perClass: 10, size: 40));
        _simpleCnn = new(() => TrainingRun.Start(SimpleCnnOptions(NewFolder("simple-cnn-whole"))));
        _fineTune = new(() => TrainingRun.Start(FineTuneOptions(NewFolder("fine-tune-whole"))));
    }

    /// <summary>The simple CNN run, uninterrupted.</summary>
    public TrainingRunResult SimpleCnn => _simpleCnn.Value;

    /// <summary>The fine-tune run, uninterrupted.</summary>
    public TrainingRunResult FineTune => _fineTune.Value;

    /// <summary>A path for a new run folder (not created).</summary>
    public string NewFolder(string name) => Path.Combine(_temp.Path, name);

    /// <summary><c>holdout train</c>'s arguments for the simple CNN reference, into <paramref name="runFolder"/>.</summary>
    public string[] SimpleCnnArguments(string runFolder) =>
        ["train", _data.Value, "--model", "simple-cnn", "--image-size", "32", "--epochs", "5", "--batch-size", "4", "--monitor", "val_acc",
         "--patience", "1", "--seed", "5", "--workers", "2", "--precision", "bf16", "--out", runFolder];

    /// <summary><c>holdout train</c>'s arguments for the fine-tune reference, into <paramref name="runFolder"/>.</summary>
    /// <remarks>--drop-last: 21 training images in batches of 4 would leave a batch of one image, whose BatchNorm
    /// variance poisons the running statistics (NaN validation loss).</remarks>
    public string[] FineTuneArguments(string runFolder) =>
        ["train", _data.Value, "--model", "resnet18", "--recipe", "fine-tune", "--image-size", "32", "--epochs", "2", "--freeze-epochs", "1",
         "--batch-size", "4", "--drop-last", "--patience", "10", "--seed", "5", "--workers", "2", "--precision", "bf16", "--out", runFolder];

    /// <summary>
    /// Asserts that <paramref name="runFolder"/> ended as <paramref name="reference"/> did: the same history.csv
    /// (wall-clock seconds aside) and the same summary.json numbers (loss and accuracy of every split, best epoch,
    /// epochs run, stop reason).
    /// </summary>
    public static void AssertSameOutcome(TrainingRunResult reference, string runFolder)
    {
        var expected = HistoryCsv.Read(Path.Combine(reference.Folder, "history.csv")).Select(e => e with { Seconds = 0 });
        var actual = HistoryCsv.Read(Path.Combine(runFolder, "history.csv")).Select(e => e with { Seconds = 0 });
        Assert.Equal(expected, actual);
        Assert.Equal(SummaryNumbers(reference.Folder), SummaryNumbers(runFolder));
    }

    private static List<string> SummaryNumbers(string runFolder)
    {
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(runFolder, "summary.json")))!;
        var numbers = new List<string>
        {
            $"best_epoch {summary["best_epoch"]}",
            $"epochs_run {summary["epochs_run"]}",
            $"stop_reason {summary["stop_reason"]}",
        };
        foreach (var split in new[] { "train", "val", "test" })
        {
            foreach (var metric in new[] { "loss", "accuracy" })
                numbers.Add($"{split}.{metric} {summary[split]?[metric]?.GetValue<double>().ToString("R", CultureInfo.InvariantCulture)}");
        }
        return numbers;
    }

    private TrainRunOptions SimpleCnnOptions(string runFolder) => new(Data: _data.Value, Model: Architecture.SimpleCnn, ImageSize: 32, Epochs: 5,
        BatchSize: 4, Monitor: "val_acc", Patience: 1, Seed: 5, Workers: 2, Precision: Precision.Bf16, Out: runFolder);

    private TrainRunOptions FineTuneOptions(string runFolder) => new(Data: _data.Value, Model: Architecture.ResNet18, Recipe: RecipeKind.FineTune,
        ImageSize: 32, Epochs: 2, FreezeEpochs: 1, BatchSize: 4, DropLast: true, Patience: 10, Seed: 5, Workers: 2, Precision: Precision.Bf16, Out: runFolder);

    /// <inheritdoc/>
    public void Dispose() => _temp.Dispose();
}
