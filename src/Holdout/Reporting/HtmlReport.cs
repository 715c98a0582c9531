using Holdout.Data;
using System.Globalization;
using System.Text;
using Holdout.Metrics;

namespace Holdout.Reporting;

/// <summary>
/// Renders a run's <c>report.html</c>: one self-contained page (charts and thumbnails embedded as base64 data URIs,
/// inline CSS, no network, no external fonts or scripts) that leads with results: the headline numbers, learning
/// curves, confusion matrix, per-class metrics, ROC curve (two classes), the top-losses gallery (with Grad-CAM overlays
/// when given) and the doctor's findings (when given); then the data summary, the batch preview, and last the
/// configuration, collapsed.
/// </summary>
/// <remarks>
/// Everything that comes from user data (class names, paths, configuration values) is HTML-escaped. A small inline
/// script marks the page when it has loaded: <c>&lt;body data-images-ok="true|false" data-image-count="N"
/// data-errors="N"&gt;</c>, so an automated check (or a person with developer tools) can tell that every image
/// decoded and no script error happened.
/// </remarks>
internal static class HtmlReport
{
    /// <summary>Largest side, in pixels, of a gallery thumbnail.</summary>
    public const int ThumbnailSize = 160;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Renders the report and writes it atomically to <paramref name="path"/> (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file to write, usually <c>RUN/report.html</c>.</param>
    /// <param name="data">What to show.</param>
    public static void Write(string path, ReportData data) => AtomicFile.WriteAllText(path, Render(data));

    /// <summary>Renders the report as an HTML document.</summary>
    /// <param name="data">What to show.</param>
    /// <returns>The complete, self-contained HTML text.</returns>
    public static string Render(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var metrics = data.Metrics;
        var classNames = data.ClassNames.Count > 0 ? data.ClassNames : metrics?.ClassNames ?? [];
        var html = new StringBuilder(1 << 16);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(data.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n")
            .Append("<script>\n").Append(StatusScript).Append("</script>\n</head>\n<body>\n");

        html.Append("<header>\n<h1>").Append(E(data.Title)).Append("</h1>\n<p class=\"sub\">Holdout training report");
        if (data.Subtitle is { } subtitle) html.Append(" · <span class=\"path\">").Append(E(subtitle)).Append("</span>");
        if (data.CreatedAt is { } created) html.Append(" · ").Append(E(created.ToString("yyyy-MM-dd HH:mm:ss zzz", Invariant)));
        html.Append("</p>\n<nav>")
            .Append("<a href=\"#curves\">Learning curves</a><a href=\"#confusion\">Confusion matrix</a><a href=\"#per-class\">Per class</a>");
        if (metrics?.RocCurve is not null) html.Append("<a href=\"#roc\">ROC</a>");
        html.Append("<a href=\"#top-losses\">Top losses</a>");
        if (data.DoctorFindings is not null) html.Append("<a href=\"#doctor\">Doctor</a>");
        html.Append("<a href=\"#data\">Data</a><a href=\"#batch-preview\">Batch preview</a><a href=\"#configuration\">Configuration</a></nav>\n</header>\n<main>\n");

        // Results first: the headline numbers, how training went, where the model errs, then the data and the setup.
        if (metrics is not null) Headline(html, metrics, data.EvaluatedSplit);
        Curves(html, data);
        Confusion(html, metrics, data.EvaluatedSplit);
        PerClass(html, metrics, data.EvaluatedSplit);
        if (metrics?.RocCurve is { } curve && metrics.RocAuc is { } auc)
        {
            Section(html, "roc", "ROC curve", $"On the {data.EvaluatedSplit} split, positive class “{metrics.ClassNames[1]}”.", null,
                () => Image(html, "image/png", Charts.RocCurve(curve, auc, metrics.ClassNames[1]), $"ROC curve, AUC {F(auc)}", "chart roc"));
        }
        Gallery(html, data);
        if (data.DoctorFindings is { } findings) Doctor(html, findings, data.DoctorNote);
        DataSummary(html, data, classNames);
        BatchPreview(html, data);
        Configuration(html, data);

        html.Append("</main>\n<footer>Made by Holdout. This file is self-contained: it loads nothing from the network.</footer>\n")
            .Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Headline(StringBuilder html, ClassificationMetrics metrics, string split)
    {
        html.Append("<section id=\"kpis\" class=\"cards\">");
        Card(html, $"{split} accuracy", P(metrics.Accuracy));
        Card(html, $"{split} loss", F(metrics.Loss));
        Card(html, "macro-F1", F(metrics.MacroF1));
        if (metrics.RocAuc is { } auc) Card(html, "ROC-AUC", F(auc));
        else if (metrics.MacroRocAuc is { } macro) Card(html, "macro ROC-AUC (one-vs-rest)", F(macro));
        Card(html, "calibration error (ECE)", F(metrics.ExpectedCalibrationError));
        Card(html, "samples", metrics.SampleCount.ToString(Invariant));
        html.Append("</section>\n");
    }

    private static void Card(StringBuilder html, string label, string value) =>
        html.Append("<div class=\"card\"><div class=\"value\">").Append(E(value)).Append("</div><div class=\"label\">").Append(E(label)).Append("</div></div>");

    private static void Configuration(StringBuilder html, ReportData data)
    {
        Section(html, "configuration", "Run configuration", null, data.Configuration.Count == 0 ? "No configuration was recorded." : null, () =>
        {
            html.Append("<details><summary>").Append(data.Configuration.Count.ToString(Invariant))
                .Append(" settings: the value each one had in the run (given → used, where the run chose another)</summary>\n<table class=\"kv\"><tbody>\n");
            foreach (var setting in data.Configuration)
            {
                html.Append("<tr><th>").Append(E(setting.Name)).Append("</th><td>");
                if (setting.Given is { } given && given != setting.Value) html.Append("<span class=\"given\">").Append(E(given)).Append("</span> → ");
                html.Append(E(setting.Value)).Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n</details>\n");
        });
    }

    private static void DataSummary(StringBuilder html, ReportData data, IReadOnlyList<string> classNames)
    {
        Section(html, "data", "Data", "Samples per class in each split.", null, () =>
        {
            if (data.Splits.Count == 0 || classNames.Count == 0) NotAvailable(html, "No split summary was recorded.");
            else
            {
                html.Append("<table class=\"numbers\"><thead><tr><th>class</th>");
                foreach (var split in data.Splits) html.Append("<th>").Append(E(split.Split)).Append("</th>");
                html.Append("<th>total</th></tr></thead><tbody>\n");
                for (var c = 0; c < classNames.Count; c++)
                {
                    html.Append("<tr><th>").Append(E(classNames[c])).Append("</th>");
                    var total = 0;
                    foreach (var split in data.Splits)
                    {
                        var count = c < split.Counts.Count ? split.Counts[c] : 0;
                        total += count;
                        html.Append("<td>").Append(count.ToString(Invariant)).Append("</td>");
                    }
                    html.Append("<td>").Append(total.ToString(Invariant)).Append("</td></tr>\n");
                }
                html.Append("<tr class=\"total\"><th>total</th>");
                foreach (var split in data.Splits) html.Append("<td>").Append(split.Counts.Sum().ToString(Invariant)).Append("</td>");
                html.Append("<td>").Append(data.Splits.Sum(s => s.Counts.Sum()).ToString(Invariant)).Append("</td></tr>\n</tbody></table>\n");
            }
            html.Append("<h3>Skipped files</h3>\n");
            if (data.SkippedFiles.Count == 0) html.Append("<p class=\"muted\">None: every file found was used.</p>\n");
            else
            {
                html.Append("<details").Append(data.SkippedFiles.Count <= 10 ? " open" : "").Append("><summary>")
                    .Append(data.SkippedFiles.Count.ToString(Invariant)).Append(data.SkippedFiles.Count == 1 ? " file" : " files")
                    .Append(" left out</summary>\n<table class=\"kv skipped\"><thead><tr><th>file</th><th>reason</th></tr></thead><tbody>\n");
                foreach (var file in data.SkippedFiles)
                    html.Append("<tr><td class=\"path\">").Append(E(file.Path)).Append("</td><td>").Append(E(file.Reason)).Append("</td></tr>\n");
                html.Append("</tbody></table>\n</details>\n");
            }
        });
    }

    private static void Curves(StringBuilder html, ReportData data)
    {
        var best = data.BestEpoch ?? (data.History.Count > 0 ? Charts.BestEpoch(data.History) : null);
        Section(html, "curves", "Learning curves",
            best is null ? "Training against validation, per epoch." : $"Training against validation, per epoch. The dashed line marks the best epoch ({best}), whose weights were kept.",
            data.History.Count == 0 ? "No training history was recorded." : null, () =>
        {
            Image(html, "image/png", Charts.LearningCurves(data.History, best, data.PhaseStarts), "Loss and accuracy per epoch, training and validation", "chart wide");
            foreach (var phase in data.PhaseStarts)
                html.Append("<p class=\"muted\">Phase <b>").Append(E(phase.Name)).Append("</b> starts at epoch ").Append(phase.FirstEpoch.ToString(Invariant)).Append(" (dotted line).</p>\n");
            var last = data.History[^1];
            html.Append("<p class=\"muted\">").Append(data.History.Count.ToString(Invariant)).Append(" epochs; last epoch: train loss ")
                .Append(F(last.Loss)).Append(", train accuracy ").Append(P(last.Accuracy)).Append(", validation loss ").Append(F(last.ValLoss))
                .Append(", validation accuracy ").Append(P(last.ValAccuracy)).Append(".</p>\n");
        });
    }

    private static void Confusion(StringBuilder html, ClassificationMetrics? metrics, string split)
    {
        Section(html, "confusion", "Confusion matrix", $"On the {split} split. Rows are true classes, columns predictions; colour is the share of the row.", metrics, "The model has not been evaluated.", metrics =>
        {
            html.Append("<div class=\"row\"><div>");
            Image(html, "image/png", Charts.ConfusionMatrix(metrics.Confusion, metrics.ClassNames), "Confusion matrix heat map", "chart square");
            html.Append("</div><div>\n<h3>Most confused</h3>\n");
            if (metrics.MostConfused.Count == 0) html.Append("<p class=\"muted\">No mistakes.</p>\n");
            else
            {
                html.Append("<table class=\"numbers\"><thead><tr><th>true class</th><th>predicted as</th><th>samples</th></tr></thead><tbody>\n");
                foreach (var pair in metrics.MostConfused.Take(10))
                    html.Append("<tr><td class=\"text\">").Append(E(pair.TrueLabel)).Append("</td><td class=\"text\">").Append(E(pair.PredictedLabel))
                        .Append("</td><td>").Append(pair.Count.ToString(Invariant)).Append("</td></tr>\n");
                html.Append("</tbody></table>\n");
            }
            html.Append("</div></div>\n");
        });
    }

    private static void PerClass(StringBuilder html, ClassificationMetrics? metrics, string split)
    {
        Section(html, "per-class", "Per-class metrics", $"On the {split} split.", metrics, "The model has not been evaluated.", metrics =>
        {
            html.Append("<table class=\"numbers\"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>predicted</th></tr></thead><tbody>\n");
            foreach (var row in metrics.PerClass)
                html.Append("<tr><th>").Append(E(row.Name)).Append("</th><td>").Append(F(row.Precision)).Append("</td><td>").Append(F(row.Recall))
                    .Append("</td><td>").Append(F(row.F1)).Append("</td><td>").Append(row.Support.ToString(Invariant)).Append("</td><td>")
                    .Append(row.Predicted.ToString(Invariant)).Append("</td></tr>\n");
            html.Append("<tr class=\"total\"><th>macro average</th><td>").Append(F(metrics.PerClass.Average(r => r.Precision))).Append("</td><td>")
                .Append(F(metrics.PerClass.Average(r => r.Recall))).Append("</td><td>").Append(F(metrics.MacroF1)).Append("</td><td>")
                .Append(metrics.SampleCount.ToString(Invariant)).Append("</td><td></td></tr>\n</tbody></table>\n");
            html.Append("<p class=\"muted\">Accuracy ").Append(P(metrics.Accuracy)).Append(", mean cross-entropy ").Append(F(metrics.Loss))
                .Append(", expected calibration error ").Append(F(metrics.ExpectedCalibrationError)).Append(" (15 confidence bins)")
                .Append(metrics.MacroRocAuc is { } m ? $", one-vs-rest macro ROC-AUC {F(m)}" : "").Append(".</p>\n");
        });
    }

    private static void Gallery(StringBuilder html, ReportData data)
    {
        var explained = data.TopLosses.Any(e => e.PredictedOverlay is not null);
        var lead = $"The {data.EvaluatedSplit} images with the highest loss, highest first. Red: a wrong prediction; green: right, but unsure."
            + (explained ? " Beside each image, Grad-CAM: where in the image the model saw the evidence for its prediction (and, when wrong, for the true class), drawn over the image as the model saw it." : "");
        Section(html, "top-losses", "Top losses", lead, data.TopLosses.Count == 0 ? "No evaluated images to show." : null, () =>
        {
            html.Append(explained ? "<div class=\"gallery explained\">\n" : "<div class=\"gallery\">\n");
            foreach (var example in data.TopLosses)
            {
                var wrong = example.TrueLabel != example.PredictedLabel;
                html.Append("<figure class=\"").Append(wrong ? "wrong" : "right").Append("\"><div class=\"views\">");
                View(html, Thumbnail.Jpeg(example.ImagePath, example.ImageBytes, ThumbnailSize), $"{example.TrueLabel} predicted as {example.PredictedLabel}",
                    explained ? "image" : null, unreadable: true);
                View(html, Thumb(example.PredictedOverlay), $"Grad-CAM of the evidence for {example.PredictedLabel}", $"why “{example.PredictedLabel}”");
                if (wrong) View(html, Thumb(example.TrueOverlay), $"Grad-CAM of the evidence for {example.TrueLabel}", $"where “{example.TrueLabel}”");
                html.Append("</div><figcaption><span class=\"pred\">predicted: ").Append(E(example.PredictedLabel)).Append(' ').Append(P(example.PredictedProbability))
                    .Append("</span><span>true: ").Append(E(example.TrueLabel)).Append(' ').Append(P(example.TrueProbability))
                    .Append("</span><span class=\"muted\">loss ").Append(F(example.Loss)).Append("</span>");
                if (example.ImagePath is not null)
                    html.Append("<span class=\"path\" title=\"").Append(E(example.ImagePath)).Append("\">").Append(E(Path.GetFileName(example.ImagePath))).Append("</span>");
                html.Append("</figcaption></figure>\n");
            }
            html.Append("</div>\n");
        });
    }

    private static byte[]? Thumb(byte[]? encoded) => encoded is null ? null : Thumbnail.Jpeg(null, encoded, ThumbnailSize);

    /// <summary>One picture of a gallery entry with its label; nothing when there is no <paramref name="thumbnail"/>,
    /// or "image unreadable" when <paramref name="unreadable"/> says to show that.</summary>
    private static void View(StringBuilder html, byte[]? thumbnail, string alt, string? label, bool unreadable = false)
    {
        if (thumbnail is null && !unreadable) return;
        html.Append("<div class=\"view\">");
        if (thumbnail is null) html.Append("<div class=\"unreadable\">image unreadable</div>");
        else Image(html, "image/jpeg", thumbnail, alt, "thumb", newline: false);
        if (label is not null) html.Append("<span>").Append(E(label)).Append("</span>");
        html.Append("</div>");
    }

    private static void Doctor(StringBuilder html, IReadOnlyList<ReportFinding> findings, string? note)
    {
        Section(html, "doctor", "Doctor's findings", note ?? "What holdout doctor found in this run, most important first.",
            findings.Count == 0 ? "No problems found in the checks that ran." : null, () =>
        {
            html.Append("<ol class=\"findings\">\n");
            foreach (var finding in findings)
            {
                html.Append("<li class=\"").Append(E(finding.Severity)).Append("\"><b class=\"severity\">").Append(E(finding.Severity.ToUpperInvariant()))
                    .Append("</b> <code>").Append(E(finding.Code)).Append("</code>: ").Append(E(finding.Message));
                if (finding.Evidence.Count > 0)
                {
                    html.Append("<ul>");
                    foreach (var line in finding.Evidence.Take(8)) html.Append("<li>").Append(E(line)).Append("</li>");
                    if (finding.Evidence.Count > 8) html.Append("<li class=\"muted\">… and ").Append((finding.Evidence.Count - 8).ToString(Invariant)).Append(" more in doctor.json</li>");
                    html.Append("</ul>");
                }
                html.Append("<p><b class=\"fix\">fix:</b> ").Append(E(finding.Fix)).Append("</p></li>\n");
            }
            html.Append("</ol>\n");
        });
    }

    private static void BatchPreview(StringBuilder html, ReportData data)
    {
        Section(html, "batch-preview", "What the model sees",
            data.BatchPreviewCaption ?? "One batch exactly as it enters the model (after resizing, augmentation and normalisation, mapped back to colours).",
            data.BatchPreviewPng, "No batch preview was recorded.", png => Image(html, "image/png", png, "Batch preview: the model's input", "chart wide"));
    }

    /// <summary>One section: its heading and lead, then <paramref name="body"/>, or <paramref name="missing"/> when that says why there is nothing to show.</summary>
    private static void Section(StringBuilder html, string id, string title, string? lead, string? missing, Action body)
    {
        html.Append("<section id=\"").Append(id).Append("\">\n<h2>").Append(E(title)).Append("</h2>\n");
        if (lead is not null) html.Append("<p class=\"lead\">").Append(E(lead)).Append("</p>\n");
        if (missing is not null) NotAvailable(html, missing);
        else body();
        html.Append("</section>\n");
    }

    /// <summary>A section about <paramref name="content"/>, or saying <paramref name="missing"/> when there is none.</summary>
    private static void Section<T>(StringBuilder html, string id, string title, string? lead, T? content, string missing, Action<T> body) where T : class =>
        Section(html, id, title, lead, content is null ? missing : null, () => body(content!));

    private static void NotAvailable(StringBuilder html, string message) =>
        html.Append("<p class=\"muted\">").Append(E(message)).Append("</p>\n");

    private static void Image(StringBuilder html, string mediaType, byte[] bytes, string alt, string cssClass, bool newline = true)
    {
        html.Append("<img class=\"").Append(cssClass).Append("\" alt=\"").Append(E(alt)).Append("\" src=\"data:").Append(mediaType)
            .Append(";base64,").Append(Convert.ToBase64String(bytes)).Append("\">");
        if (newline) html.Append('\n');
    }

    /// <summary>Escapes the characters that mean something in HTML; the rest (·, →, accents) stays as written in the UTF-8 page.</summary>
    private static string E(string text) =>
        text.AsSpan().IndexOfAny("&<>\"'") < 0 ? text
            : text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
                .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static string F(double value) => double.IsFinite(value) ? (Math.Round(value, 3) + 0.0).ToString("0.000", Invariant) : "n/a"; // + 0.0 turns -0 into 0

    private static string P(double value) => double.IsFinite(value) ? (value * 100).ToString("0.0", Invariant) + "%" : "n/a";

    private const string Css = """
        :root { --ink: #1d2330; --muted: #5d6675; --line: #dfe3ea; --accent: #1f77b4; --bad: #c0392b; --good: #2e8b57; --bg: #f6f7f9; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
        header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
        header { padding-top: 28px; }
        h1 { margin: 0; font-size: 28px; word-break: break-word; }
        h2 { margin: 0 0 4px; font-size: 21px; }
        h3 { margin: 20px 0 8px; font-size: 16px; }
        .sub, .muted, .lead { color: var(--muted); }
        .sub { margin: 2px 0 16px; }
        .lead { margin: 0 0 14px; }
        nav { display: flex; flex-wrap: wrap; gap: 6px 16px; padding: 10px 0 6px; border-bottom: 1px solid var(--line); }
        nav a { color: var(--accent); text-decoration: none; }
        nav a:hover { text-decoration: underline; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0 0; }
        section.cards { background: none; border: 0; padding: 0; }
        .given { color: var(--muted); }
        ol.findings > li { margin-bottom: 10px; }
        ol.findings li.error .severity { color: var(--bad); }
        ol.findings li.warning .severity { color: #b7791f; }
        ol.findings p { margin: 2px 0; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
        .card .value { font-size: 22px; font-weight: 600; }
        .card .label { color: var(--muted); font-size: 13px; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px; margin: 18px 0; }
        table { border-collapse: collapse; margin: 4px 0 8px; }
        th, td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid var(--line); font-weight: 600; }
        table.numbers td { text-align: right; font-variant-numeric: tabular-nums; }
        table.numbers td.text { text-align: left; }
        .row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
        table.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
        table.kv td { word-break: break-all; }
        tr.total th, tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
        tbody tr:nth-child(even) { background: #fafbfc; }
        .path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
        img.chart { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
        img.square { max-width: 600px; }
        img.roc { max-width: 540px; }
        .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(176px, 1fr)); gap: 12px; }
        .gallery.explained { grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); }
        .views { display: flex; gap: 6px; justify-content: center; }
        .view { display: flex; flex-direction: column; align-items: center; flex: 0 1 104px; min-width: 0; font-size: 12px; line-height: 1.3; color: var(--muted); text-align: center; overflow-wrap: anywhere; }
        .view .unreadable { width: 100%; }
        .gallery.explained img.thumb { max-width: 100%; max-height: 104px; }
        figure { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
        figure.wrong { border-top: 4px solid var(--bad); }
        figure.right { border-top: 4px solid var(--good); }
        img.thumb { display: block; margin: 0 auto; max-width: 160px; max-height: 160px; }
        .unreadable { height: 120px; display: flex; align-items: center; justify-content: center; color: var(--muted); background: #f0f1f4; }
        figcaption { display: flex; flex-direction: column; font-size: 13px; margin-top: 6px; }
        figcaption .pred { font-weight: 600; }
        figcaption .path { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
        details summary { cursor: pointer; color: var(--accent); }
        footer { color: var(--muted); font-size: 13px; padding-bottom: 32px; }

        """;

    // Marks the body once everything has loaded, for automated checks: every <img> decoded, and any error event (a
    // script error, or a resource that failed to load). It sits in <head> so it listens before the first image.
    private const string StatusScript = """
        (function () {
          var errors = 0;
          window.addEventListener('error', function () {
            errors++;
            if (document.body) document.body.dataset.errors = String(errors);
          }, true);
          window.addEventListener('load', function () {
            var images = Array.prototype.slice.call(document.images);
            var broken = images.filter(function (img) { return !img.complete || img.naturalWidth === 0; });
            document.body.dataset.imageCount = String(images.length);
            document.body.dataset.brokenImages = String(broken.length);
            document.body.dataset.imagesOk = broken.length === 0 ? 'true' : 'false';
            document.body.dataset.errors = String(errors);
          });
        })();

        """;
}
