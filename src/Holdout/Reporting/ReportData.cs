using Holdout.Data;
using Holdout.Metrics;
using Holdout.Training;

namespace Holdout.Reporting;

/// <summary>
/// Everything <see cref="HtmlReport"/> puts on the page of one run. Every part but the title is optional; a missing
/// part is shown as "not available" rather than left out silently.
/// </summary>
internal sealed record ReportData
{
    /// <summary>What the run trained, shown as the page title: the dataset and the model (e.g. "beans · ResNet-18 fine-tune").</summary>
    public required string Title { get; init; }

    /// <summary>A line under the title, usually the run folder's name. Defaults to <c>null</c>: not shown.</summary>
    public string? Subtitle { get; init; }

    /// <summary>When the report was made. Defaults to <c>null</c>: not shown.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>The run configuration, one row per setting (backbone, image size, seed, epochs, …), in display order;
    /// shown last, collapsed. Defaults to none.</summary>
    public IReadOnlyList<ReportSetting> Configuration { get; init; } = [];

    /// <summary>The class names, in class-index order. Defaults to none (then taken from <see cref="Metrics"/>).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Class counts of each split, for the data summary. Defaults to none.</summary>
    public IReadOnlyList<SplitCounts> Splits { get; init; } = [];

    /// <summary>Files the loader left out, with the reason. Defaults to none.</summary>
    public IReadOnlyList<SkippedFile> SkippedFiles { get; init; } = [];

    /// <summary>One record per epoch, for the learning curves. Defaults to none.</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = [];

    /// <summary>Where each phase of the recipe after the first begins (a line on the learning curves). Defaults to none.</summary>
    public IReadOnlyList<PhaseStart> PhaseStarts { get; init; } = [];

    /// <summary>The epoch whose weights were kept. Defaults to <c>null</c>: the lowest validation loss
    /// (<see cref="Charts.BestEpoch"/>).</summary>
    public int? BestEpoch { get; init; }

    /// <summary>Metrics of the evaluated split (confusion matrix, per-class table, ROC). Defaults to <c>null</c>.</summary>
    public ClassificationMetrics? Metrics { get; init; }

    /// <summary>The name of the split <see cref="Metrics"/> were computed on. Defaults to "test".</summary>
    public string EvaluatedSplit { get; init; } = "test";

    /// <summary>The top-losses gallery, highest loss first. Defaults to none.</summary>
    public IReadOnlyList<TopLossExample> TopLosses { get; init; } = [];

    /// <summary>The findings of <c>holdout doctor</c> on this run, most important first, shown after the gallery.
    /// Defaults to <c>null</c>: the doctor has not examined the run, and the section is left out.</summary>
    public IReadOnlyList<ReportFinding>? DoctorFindings { get; init; }

    /// <summary>Where the doctor's findings come from (e.g. when it ran). Defaults to <c>null</c>.</summary>
    public string? DoctorNote { get; init; }

    /// <summary>PNG of the batch preview (the exact model input, mapped back to colours). Defaults to <c>null</c>.</summary>
    public byte[]? BatchPreviewPng { get; init; }

    /// <summary>Caption of the batch preview. Defaults to <c>null</c>: a standard explanation.</summary>
    public string? BatchPreviewCaption { get; init; }
}
