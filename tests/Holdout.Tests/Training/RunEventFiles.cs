using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

/// <summary>
/// What a run folder's TensorBoard event files hold, read with the tests' own <see cref="EventFileReader"/> (as
/// TensorBoard merges the files of a folder), and the checks every run's curves must pass.
/// </summary>
internal static class RunEventFiles
{
    public sealed record Scalar(string Tag, long Step, float Value);

    /// <summary>Every event of every event file of the folder, oldest file first.</summary>
    public static List<EventFileReader.Event> Read(string runFolder) =>
        [.. new RunFiles(runFolder).EventFiles.SelectMany(EventFileReader.Read)];

    /// <summary>Every scalar of the folder's event files, in file order.</summary>
    public static List<Scalar> Scalars(string runFolder) =>
        [.. Read(runFolder).SelectMany(e => e.Values.Where(v => v.SimpleValue is not null).Select(v => new Scalar(v.Tag, e.Step, v.SimpleValue!.Value)))];

    /// <summary>
    /// Asserts that the folder's curves hold every epoch of its <c>history.csv</c> exactly once with its values (as
    /// float32), and every training step once, on one axis from 1, with its loss and learning rate.
    /// </summary>
    public static void AssertCoverHistoryOnce(string runFolder)
    {
        var history = HistoryCsv.Read(new RunFiles(runFolder).History);
        var scalars = Scalars(runFolder);
        foreach (var (tag, pick) in new (string, Func<EpochRecord, double>)[]
                 { ("loss", e => e.Loss), ("acc", e => e.Accuracy), ("val_loss", e => e.ValLoss), ("val_acc", e => e.ValAccuracy), ("lr", e => e.LearningRate) })
        {
            var logged = scalars.Where(s => s.Tag == "epoch/" + tag).ToList();
            Assert.Equal(history.Select(e => (long)e.Epoch), logged.Select(s => s.Step));
            Assert.Equal(history.Select(e => (float)pick(e)), logged.Select(s => s.Value));
        }
        foreach (var tag in new[] { "batch/loss", "batch/lr" })
        {
            var steps = scalars.Where(s => s.Tag == tag).Select(s => s.Step).ToList();
            Assert.True(steps.Count > 0 && steps.Count % history.Count == 0, $"{steps.Count} {tag} steps for {history.Count} epochs");
            Assert.Equal(Enumerable.Range(1, steps.Count).Select(i => (long)i), steps);
        }
        Assert.Equal((float)history[^1].LearningRate, scalars.Last(s => s.Tag == "batch/lr").Value);
    }
}
