using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Holdout.Diagnostics;

/// <summary>
/// The doctor's findings, ranked: errors first, and within a severity the likely root causes (leakage, mode gap,
/// preprocessing, loss) before their symptoms. <see cref="FormatText"/> writes the readable summary,
/// <see cref="ToJson"/> the document <c>{ "findings": [...] }</c>. <see cref="ExitCode"/> is 1 when any finding is
/// an error, else 0.
/// </summary>
public sealed class DoctorReport
{
    private static readonly string[] Priority =
    [
        FindingCodes.ChanceLevelValidation,
        FindingCodes.BatchNormModeGap,
        FindingCodes.PreprocessingMismatch,
        FindingCodes.EvalCoverage,
        FindingCodes.LossActivationMismatch,
        FindingCodes.CrossSplitDuplicate,
        FindingCodes.ConflictingLabels,
        FindingCodes.ShortcutCue,
        FindingCodes.OneBatchOverfit,
        FindingCodes.Divergence,
        FindingCodes.InitLoss,
        FindingCodes.LabelShuffleBaseline,
        FindingCodes.Overfitting,
        FindingCodes.Underfitting,
        FindingCodes.SplitShift,
        FindingCodes.ClassImbalance,
        FindingCodes.TooFewImages,
        FindingCodes.UnreadableFile,
        FindingCodes.ExactDuplicate,
        FindingCodes.ExtensionMismatch,
    ];

    /// <summary>Ranks <paramref name="findings"/> and keeps the timings.</summary>
    /// <param name="findings">Findings in any order.</param>
    /// <param name="timings">How long each group of checks took; defaults to none.</param>
    public DoctorReport(IEnumerable<Finding> findings, IEnumerable<CheckTiming>? timings = null)
    {
        Findings = findings.OrderBy(f => f.Severity).ThenBy(f => Rank(f.Code)).ToList();
        Timings = timings?.ToList() ?? [];
    }

    /// <summary>The findings, most important first.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>How long each group of checks took, in the order they ran.</summary>
    public IReadOnlyList<CheckTiming> Timings { get; }

    /// <summary>True when at least one finding is an error.</summary>
    public bool HasErrors => Findings.Any(f => f.Severity == FindingSeverity.Error);

    /// <summary>The process exit code: 1 when any finding is an error, else 0.</summary>
    public int ExitCode => HasErrors ? 1 : 0;

    /// <summary>The findings with a given code (empty when none).</summary>
    /// <param name="code">A code from <see cref="FindingCodes"/>.</param>
    public IReadOnlyList<Finding> WithCode(string code) => Findings.Where(f => f.Code == code).ToList();

    /// <summary>The severity word as it appears in text and JSON: error, warning or info.</summary>
    /// <param name="severity">The severity.</param>
    public static string SeverityName(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Error => "error",
        FindingSeverity.Warning => "warning",
        _ => "info",
    };

    /// <summary>
    /// The readable summary: a count line, the symptom and the likely causes when validation sits at chance, then
    /// every finding with its evidence and fix, then the timings.
    /// </summary>
    /// <param name="maxEvidenceLines">Evidence lines shown per finding (the JSON has all). Defaults to 8.</param>
    public string FormatText(int maxEvidenceLines = 8)
    {
        var text = new StringBuilder();
        var errors = Findings.Count(f => f.Severity == FindingSeverity.Error);
        var warnings = Findings.Count(f => f.Severity == FindingSeverity.Warning);
        var infos = Findings.Count(f => f.Severity == FindingSeverity.Info);
        text.Append(CultureInfo.InvariantCulture, $"holdout doctor: {Plural(errors, "error")}, {Plural(warnings, "warning")}, {infos} info").Append('\n');
        if (Findings.Count == 0)
        {
            text.Append("No problems found in the checks that ran.\n");
        }
        if (Summary() is { } summary)
        {
            text.Append('\n').Append(summary).Append('\n');
        }
        for (var i = 0; i < Findings.Count; i++)
        {
            var f = Findings[i];
            text.Append('\n').Append(CultureInfo.InvariantCulture, $"{i + 1}. {SeverityName(f.Severity).ToUpperInvariant()} {f.Code}: {f.Message}");
            if (f.Seconds is { } seconds)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({seconds:0.0} s)");
            }
            text.Append('\n');
            foreach (var line in f.Evidence.Take(maxEvidenceLines))
            {
                text.Append("   - ").Append(line).Append('\n');
            }
            if (f.Evidence.Count > maxEvidenceLines)
            {
                text.Append(CultureInfo.InvariantCulture, $"   - ... and {f.Evidence.Count - maxEvidenceLines} more (see --json)\n");
            }
            text.Append("   fix: ").Append(f.Fix).Append('\n');
            foreach (var file in f.Files ?? [])
            {
                text.Append("   file: ").Append(file).Append('\n');
            }
        }
        if (Timings.Count > 0)
        {
            text.Append("\nChecks run:\n");
            foreach (var timing in Timings)
            {
                text.Append("   ").Append(timing.Describe()).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// When validation sits at chance, one paragraph naming the symptom and the findings that explain it, most
    /// probable first; null otherwise.
    /// </summary>
    public string? Summary()
    {
        var chance = Findings.FirstOrDefault(f => f.Code == FindingCodes.ChanceLevelValidation);
        if (chance is null)
        {
            return null;
        }
        var causes = Findings.Where(f => f.Code != FindingCodes.ChanceLevelValidation && f.Severity != FindingSeverity.Info)
            .Select(f => f.Code).Distinct().ToList();
        var text = new StringBuilder("Why validation is at chance: ").Append(chance.Message);
        text.Append(causes.Count == 0
            ? " None of the other checks found a cause; run with --deep to train on one batch and on shuffled labels."
            : $" Evidence points to, most probable first: {string.Join(", ", causes)}. Fix them in this order.");
        return text.ToString();
    }

    /// <summary>The JSON document <c>{ "findings": [...], "timings": [...] }</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["findings"] = new JsonArray(Findings.Select(f => (JsonNode)new JsonObject
        {
            ["code"] = f.Code,
            ["severity"] = SeverityName(f.Severity),
            ["message"] = f.Message,
            ["evidence"] = new JsonArray(f.Evidence.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
            ["fix"] = f.Fix,
            ["seconds"] = f.Seconds,
            ["files"] = new JsonArray((f.Files ?? []).Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        }).ToArray()),
        ["timings"] = new JsonArray(Timings.Select(t => (JsonNode)new JsonObject
        {
            ["check"] = t.Check,
            ["seconds"] = Math.Round(t.Seconds, 3),
            ["deep"] = t.Deep,
            ["observed"] = t.Observed,
        }).ToArray()),
    };

    /// <summary>The JSON document as indented text.</summary>
    public string ToJsonText() => StrictJson.Write(ToJson(), StrictJson.Indented);

    /// <summary>
    /// Writes the JSON document, with the time it was written (<c>created</c>), atomically to the run folder's
    /// <c>doctor.json</c>, replacing the findings of an earlier examination; <c>holdout report RUN</c> shows them.
    /// </summary>
    /// <param name="runFolder">The run folder the doctor examined.</param>
    /// <returns>The path of the file written.</returns>
    public string SaveToRun(string runFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(runFolder);
        var path = new Runs.RunFiles(runFolder).Doctor;
        var document = ToJson();
        document["created"] = DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
        AtomicFile.WriteAllText(path, StrictJson.Write(document, StrictJson.Indented));
        return path;
    }

    private static int Rank(string code)
    {
        var index = Array.IndexOf(Priority, code);
        return index < 0 ? Priority.Length : index;
    }

    private static string Plural(int count, string word) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {word}{(count == 1 ? "" : "s")}");
}
