using Holdout.Inference;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>The files of a run folder (<c>runs/&lt;time&gt;-&lt;model&gt;/</c>).</summary>
/// <param name="Folder">The run folder.</param>
internal sealed record RunFiles(string Folder)
{
    /// <summary>Every option (defaults included), seed, versions and the command line.</summary>
    public string Config => Path.Combine(Folder, RunFolderModel.ConfigFileName);

    /// <summary>The split manifest the run used (path,label,split,group).</summary>
    public string Split => Path.Combine(Folder, "split.csv");

    /// <summary>One line per epoch.</summary>
    public string History => Path.Combine(Folder, "history.csv");

    /// <summary>The model bundle of the best epoch.</summary>
    public string Best => Path.Combine(Folder, RunFolderModel.BestFileName);

    /// <summary>The model bundle after the last completed epoch, with the training state <c>--resume</c> needs.</summary>
    public string Last => Path.Combine(Folder, RunFolderModel.LastFileName);

    /// <summary>The optimiser state that goes with <see cref="Last"/> in runs written before the state was kept per epoch.</summary>
    public string LastOptimizer => Path.Combine(Folder, "last.optimizer");

    /// <summary>The optimiser state after epoch <paramref name="epoch"/>, named in <see cref="Last"/>'s training state.</summary>
    public string OptimizerState(int epoch) => Path.Combine(Folder, $"last-{epoch}.optimizer");

    /// <summary>Every optimiser state file in the folder (per epoch, and the older single file).</summary>
    public IEnumerable<string> OptimizerStates() => Directory.Exists(Folder) ? Directory.EnumerateFiles(Folder, "last*.optimizer") : [];

    /// <summary>Final metrics of train, validation and test.</summary>
    public string Summary => Path.Combine(Folder, "summary.json");

    /// <summary>The best model's predictions on the test split (path, label, predicted, class probabilities).</summary>
    public string TestPredictions => Path.Combine(Folder, "predictions-test.csv");

    /// <summary>Everything the run printed.</summary>
    public string Log => Path.Combine(Folder, "train.log");

    /// <summary>The self-contained HTML report.</summary>
    public string Report => Path.Combine(Folder, "report.html");

    /// <summary>The Grad-CAM overlays of the report's top-loss images, with their <c>index.json</c> (<see cref="TopLossOverlays"/>).</summary>
    public string GradCam => Path.Combine(Folder, "gradcam");

    /// <summary>The findings of the last <c>holdout doctor DATA --run RUN</c> (its <c>--json</c> document), shown in the report.</summary>
    public string Doctor => Path.Combine(Folder, "doctor.json");

    /// <summary>The batch preview image (what the model sees).</summary>
    public string Preview => Path.Combine(Folder, "preview.png");

    /// <summary>
    /// The TensorBoard event files (<c>events.out.tfevents.&lt;time&gt;.&lt;host&gt;.holdout</c>: one per session of the
    /// run, oldest first; TensorBoard merges the files of a folder).
    /// </summary>
    public IReadOnlyList<string> EventFiles =>
        Directory.Exists(Folder) ? [.. Directory.GetFiles(Folder, TensorBoardLogger.FilePattern).Order(StringComparer.Ordinal)] : [];

    /// <summary>A new run folder name under <paramref name="root"/>: <c>yyyyMMdd-HHmmss-model</c>, made unique.</summary>
    public static RunFiles CreateNew(string root, string model)
    {
        var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var folder = Path.Combine(root, $"{stamp}-{model}");
        for (int i = 2; Directory.Exists(folder); i++) folder = Path.Combine(root, $"{stamp}-{model}-{i}");
        return new RunFiles(folder);
    }
}
