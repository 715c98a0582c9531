namespace Holdout.Diagnostics;

/// <summary>What <c>holdout doctor</c> examines.</summary>
/// <param name="Data">The dataset: a folder with one subfolder per class, a folder with train/val/test subfolders, or a CSV manifest.</param>
/// <param name="Run">A run folder written by <c>holdout train</c>: its split.csv is audited, its setup (model at initialisation, loaders, loss) probed and its history.csv read. Defaults to null (data checks only).</param>
/// <param name="Deep">Also run the checks that train (one-batch-overfit, label-shuffle-baseline). Defaults to false.</param>
/// <param name="Seed">Seed of the split Holdout would make when the data is not split yet (the default of holdout train). Defaults to 42.</param>
/// <param name="Split">Ratios of that split. Defaults to 70/15/15 (the default of holdout train).</param>
/// <param name="Audit">Thresholds of the data checks; defaults to <see cref="DataAuditOptions"/>'s defaults.</param>
/// <param name="Output">Where checks write the files that show their evidence (shortcut-cue's montages). Defaults to null: the run folder's <c>doctor/</c>.</param>
/// <param name="Pipeline">Settings of the pipeline checks; defaults to <see cref="PipelineCheckOptions"/>'s defaults (Deep is taken from <paramref name="Deep"/>).</param>
public sealed record DoctorOptions(
    string Data,
    string? Run = null,
    bool Deep = false,
    long Seed = 42,
    string Split = "70/15/15",
    DataAuditOptions? Audit = null,
    PipelineCheckOptions? Pipeline = null,
    string? Output = null);
