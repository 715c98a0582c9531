using Holdout.Metrics;
using Holdout.Training;
using ScottPlot;
using SkiaSharp;

namespace Holdout.Reporting;

/// <summary>
/// Draws the report's charts with ScottPlot as PNG bytes: learning curves, the confusion-matrix heat map and the ROC
/// curve. Text uses the bundled DejaVu Sans, so charts look the same on a machine with no fonts installed.
/// </summary>
internal static class Charts
{
    private static readonly Color TrainColor = Color.FromHex("#1f77b4");
    private static readonly Color ValidationColor = Color.FromHex("#ff7f0e");
    private static readonly Color BestColor = Color.FromHex("#2ca02c");
    private static readonly Color PhaseColor = Color.FromHex("#7f7f7f");

    /// <summary>
    /// The epoch with the lowest finite validation loss (the earliest on ties), or <c>null</c> when no epoch has one.
    /// </summary>
    /// <param name="history">The epochs, as the trainer recorded them.</param>
    public static int? BestEpoch(IReadOnlyList<EpochRecord> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        EpochRecord? best = null;
        foreach (var record in history)
            if (double.IsFinite(record.ValLoss) && (best is null || record.ValLoss < best.ValLoss)) best = record;
        return best?.Epoch;
    }

    /// <summary>
    /// Two side-by-side panels, loss and accuracy per epoch, training against validation, with the best epoch marked
    /// by a vertical line in both.
    /// </summary>
    /// <param name="history">The epochs (at least one). Non-finite values (no validation) are left out of the lines.</param>
    /// <param name="bestEpoch">The epoch to mark. Defaults to <c>null</c>: the one with the lowest validation loss
    /// (<see cref="BestEpoch"/>), and no line when there is none.</param>
    /// <param name="phaseStarts">Phases that begin after the first epoch, each marked with a dotted line just before
    /// its first epoch. Defaults to none.</param>
    /// <param name="width">Image width in pixels. Defaults to 1100.</param>
    /// <param name="height">Image height in pixels. Defaults to 420.</param>
    /// <returns>PNG bytes.</returns>
    public static byte[] LearningCurves(IReadOnlyList<EpochRecord> history, int? bestEpoch = null, IReadOnlyList<PhaseStart>? phaseStarts = null, int width = 1100, int height = 420)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("The history has no epochs to draw.", nameof(history));
        ReportFonts.EnsureRegistered();
        var best = bestEpoch ?? BestEpoch(history);
        var starts = phaseStarts ?? [];
        var loss = CurvePanel("Loss", "loss (cross-entropy)", history, r => r.Loss, r => r.ValLoss, best, starts, fromZero: false);
        var accuracy = CurvePanel("Accuracy", "accuracy", history, r => r.Accuracy, r => r.ValAccuracy, best, starts, fromZero: true);
        return RenderSideBySide(width, height, loss, accuracy);
    }

    /// <summary>
    /// A heat map of the confusion matrix: true classes as rows (top to bottom), predicted classes as columns, each
    /// cell coloured by the fraction of its row (the recall for that pair) and labelled with its count.
    /// </summary>
    /// <param name="confusion"><c>confusion[t][p]</c> = samples of true class t predicted as p (C × C).</param>
    /// <param name="classNames">The C class names.</param>
    /// <param name="size">Image width and height in pixels. Defaults to <c>null</c>: 360 + 60 per class, at most 1400.</param>
    /// <returns>PNG bytes.</returns>
    public static byte[] ConfusionMatrix(IReadOnlyList<IReadOnlyList<int>> confusion, IReadOnlyList<string> classNames, int? size = null)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(classNames);
        var n = classNames.Count;
        if (confusion.Count != n || confusion.Any(row => row.Count != n))
            throw new ArgumentException($"The confusion matrix must be {n} × {n}, one row and column per class.", nameof(confusion));
        ReportFonts.EnsureRegistered();
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Blues();
        var fontSize = n <= 6 ? 16 : n <= 12 ? 12 : 9;
        for (var t = 0; t < n; t++)
        {
            var rowTotal = confusion[t].Sum();
            for (var p = 0; p < n; p++)
            {
                var count = confusion[t][p];
                var fraction = rowTotal == 0 ? 0 : (double)count / rowTotal;
                // Row t is drawn at y = n − 1 − t so the first class is at the top, as in a table.
                var y = n - 1 - t;
                var cell = plot.Add.Rectangle(p - 0.5, p + 0.5, y - 0.5, y + 0.5);
                // ScottPlot's Blues runs from dark (0) to light (1); a full row share is the darkest.
                cell.FillStyle.Color = colormap.GetColor(0.97 - 0.85 * fraction);
                cell.LineStyle.Color = Colors.White;
                cell.LineStyle.Width = 1;
                var label = plot.Add.Text(count.ToString(System.Globalization.CultureInfo.InvariantCulture), p, y);
                label.LabelFontSize = fontSize;
                label.LabelBold = true;
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = fraction > 0.5 ? Colors.White : Colors.Black;
            }
        }
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, classNames.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            positions, Enumerable.Range(0, n).Select(i => classNames[n - 1 - i]).ToArray());
        if (n > 4)
        {
            // Slanted names need room below the axis that ScottPlot does not reserve by itself: about the length of the
            // longest name times sin 45°, at ~0.6 em per character.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            var longest = classNames.Max(name => name.Length);
            plot.Axes.Bottom.MinimumSize = (float)Math.Min(300, 30 + longest * plot.Axes.Bottom.TickLabelStyle.FontSize * 0.6 * 0.71);
        }
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.Title("Confusion matrix");
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        var side = size ?? Math.Min(1400, 360 + 60 * n);
        return Png(plot, side, side);
    }

    /// <summary>
    /// The ROC curve of a two-class problem with the chance diagonal, the area under the curve in the legend.
    /// </summary>
    /// <param name="curve">Points from <see cref="ClassificationMetrics.RocCurve"/>.</param>
    /// <param name="auc">The area under the curve (<see cref="ClassificationMetrics.RocAuc"/>).</param>
    /// <param name="positiveClass">Name of the positive class, for the title. Defaults to <c>null</c>: no name.</param>
    /// <param name="width">Image width in pixels. Defaults to 520.</param>
    /// <param name="height">Image height in pixels. Defaults to 480.</param>
    /// <returns>PNG bytes.</returns>
    public static byte[] RocCurve(IReadOnlyList<RocPoint> curve, double auc, string? positiveClass = null, int width = 520, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (curve.Count < 2) throw new ArgumentException("A ROC curve needs at least two points.", nameof(curve));
        ReportFonts.EnsureRegistered();
        var plot = new Plot();
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        chance.LegendText = "chance (AUC = 0.5)";
        var roc = plot.Add.Scatter(curve.Select(p => p.FalsePositiveRate).ToArray(), curve.Select(p => p.TruePositiveRate).ToArray());
        roc.Color = TrainColor;
        roc.LineWidth = 2.5f;
        roc.MarkerSize = 0;
        roc.LegendText = $"ROC (AUC = {auc.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)})";
        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        plot.Title(positiveClass is null ? "ROC curve" : $"ROC curve (positive class: {positiveClass})");
        plot.XLabel("false positive rate");
        plot.YLabel("true positive rate");
        plot.ShowLegend(Alignment.LowerRight);
        return Png(plot, width, height);
    }

    /// <summary>
    /// The learning-rate range test: smoothed loss against learning rate (log axis), the suggestion marked.
    /// </summary>
    /// <param name="points">The range test's curve.</param>
    /// <param name="suggested">The suggested learning rate, drawn as a vertical line.</param>
    /// <param name="width">Image width in pixels. Defaults to 720.</param>
    /// <param name="height">Image height in pixels. Defaults to 440.</param>
    /// <returns>PNG bytes.</returns>
    public static byte[] LearningRateFinder(IReadOnlyList<Holdout.Training.LearningRateFinder.Point> points, double suggested, int width = 720, int height = 440)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count < 2) throw new ArgumentException("The range test curve needs at least two points.", nameof(points));
        ReportFonts.EnsureRegistered();
        var plot = new Plot();
        var curve = plot.Add.Scatter(points.Select(p => Math.Log10(p.LearningRate)).ToArray(), points.Select(p => p.Loss).ToArray());
        curve.Color = TrainColor;
        curve.LineWidth = 2;
        curve.MarkerSize = 0;
        curve.LegendText = "smoothed training loss";
        var line = plot.Add.VerticalLine(Math.Log10(suggested));
        line.Color = BestColor;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 2;
        line.LegendText = $"suggested lr = {suggested.ToString("0.0e+00", System.Globalization.CultureInfo.InvariantCulture)}";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => Math.Pow(10, v).ToString("0.0e+00", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Title("Learning-rate range test");
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperLeft);
        return Png(plot, width, height);
    }

    private static Plot CurvePanel(string title, string yLabel, IReadOnlyList<EpochRecord> history,
        Func<EpochRecord, double> train, Func<EpochRecord, double> validation, int? best, IReadOnlyList<PhaseStart> phaseStarts, bool fromZero)
    {
        var plot = new Plot();
        AddSeries(plot, history, train, "train", TrainColor);
        AddSeries(plot, history, validation, "validation", ValidationColor);
        foreach (var phase in phaseStarts.Where(p => p.FirstEpoch > history.Min(r => r.Epoch) && p.FirstEpoch <= history.Max(r => r.Epoch)))
        {
            var start = plot.Add.VerticalLine(phase.FirstEpoch - 0.5);
            start.Color = PhaseColor;
            start.LinePattern = LinePattern.Dotted;
            start.LineWidth = 2;
            start.LegendText = $"{phase.Name} from epoch {phase.FirstEpoch}";
        }
        if (best is { } epoch)
        {
            var line = plot.Add.VerticalLine(epoch);
            line.Color = BestColor;
            line.LinePattern = LinePattern.Dashed;
            line.LineWidth = 2;
            line.LegendText = $"best epoch ({epoch})";
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(fromZero ? Alignment.LowerRight : Alignment.UpperRight);
        var first = history.Min(r => r.Epoch);
        var last = history.Max(r => r.Epoch);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsX(first - 0.3, last + 0.3);
        if (fromZero) plot.Axes.SetLimitsY(0, 1.02);
        if (last - first < 12)
        {
            var ticks = Enumerable.Range(first, last - first + 1).Select(e => (double)e).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                ticks, ticks.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
        return plot;
    }

    private static void AddSeries(Plot plot, IReadOnlyList<EpochRecord> history, Func<EpochRecord, double> value, string label, Color color)
    {
        var points = history.Where(r => double.IsFinite(value(r))).ToList();
        if (points.Count == 0) return;
        var series = plot.Add.Scatter(points.Select(r => (double)r.Epoch).ToArray(), points.Select(value).ToArray());
        series.Color = color;
        series.LineWidth = 2;
        series.MarkerSize = 6;
        series.LegendText = label;
    }

    private static byte[] Png(Plot plot, int width, int height) => plot.GetImageBytes(width, height, ImageFormat.Png);

    private static byte[] RenderSideBySide(int width, int height, params Plot[] plots)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Could not create a {width}×{height} drawing surface.");
        surface.Canvas.Clear(SKColors.White);
        var panelWidth = width / plots.Length;
        // Each panel is rendered on its own (a plot clears the whole canvas it renders on), then placed.
        for (var i = 0; i < plots.Length; i++)
        {
            using var panel = SKImage.FromEncodedData(plots[i].GetImageBytes(panelWidth, height, ImageFormat.Png));
            surface.Canvas.DrawImage(panel, i * panelWidth, 0);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
