using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// A run's TensorBoard curves: a <see cref="TensorBoardLogger"/> writing into the run folder itself, so that
/// <c>tensorboard --logdir runs</c> shows every run by its folder name. The first session of a run also records the
/// configuration and the batch preview; a resumed session's file continues the earlier ones (its checkpoint state cut
/// them back to the checkpoint).
/// </summary>
internal static class RunTensorBoard
{
    /// <summary>
    /// Starts the run's curves once the checkpoint (if any) is restored: when the logger continues no earlier file (a
    /// new run, or one that starts over from epoch 1) the files of abandoned attempts are removed and the file gets
    /// <c>config.json</c> as text and <c>preview.png</c> as an image.
    /// </summary>
    /// <param name="logger">The run's logger (in the trainer's callbacks).</param>
    /// <param name="files">The run folder.</param>
    public static void Begin(TensorBoardLogger logger, RunFiles files)
    {
        if (logger.ContinuesEarlierFiles) return;
        logger.DiscardEarlierFiles();
        if (File.Exists(files.Config)) logger.WriteText("config", "```json\n" + File.ReadAllText(files.Config) + "\n```");
        if (File.Exists(files.Preview)) logger.WriteImage("preview", File.ReadAllBytes(files.Preview));
    }
}
