using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

/// <summary><c>holdout report RUN</c>: rebuilds report.html from a run folder's files, and says clearly what is wrong with a bad folder.</summary>
[Collection(NativeCollection.Name)]
public sealed class ReportCommandTests
{
    [Fact]
    public void Should_rebuild_report_html_from_a_run_folder_with_its_test_accuracy_and_classes()
    {
        // Given a copy of a finished tiny run without its report.html
        using var temp = new TempFolder();
        var run = CopyOfTinyRun(temp, "copied-run");
        var report = Path.Combine(run, "report.html");
        File.Delete(report);
        var accuracy = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["test"]!["accuracy"]!.GetValue<double>();

        // When 'holdout report RUN' runs
        var result = CliProcess.Run("report", run);

        // Then it exits 0, prints the report's path, and the report names the dataset and model (the run below them), shows the test accuracy of
        // summary.json and every class
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        Assert.Equal(report, result.Output.Trim());
        var html = File.ReadAllText(report);
        Assert.Contains("<title>data · simple CNN from scratch</title>", html, StringComparison.Ordinal);
        Assert.Contains("run copied-run", html, StringComparison.Ordinal);
        var shown = (accuracy * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        Assert.Contains($"<div class=\"value\">{shown}</div><div class=\"label\">test accuracy</div>", html, StringComparison.Ordinal);
        Assert.All(TinyImageFolder.Classes, c => Assert.Contains(c, html, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_fail_with_exit_code_1_and_say_why_for_a_missing_folder_and_a_folder_that_is_not_a_run()
    {
        // Given a path that does not exist and an empty folder
        using var temp = new TempFolder();
        var missing = Path.Combine(temp.Path, "no-such-run");
        var empty = Path.Combine(temp.Path, "empty");
        Directory.CreateDirectory(empty);

        // When 'holdout report' runs on each
        var onMissing = CliProcess.Run("report", missing);
        var onEmpty = CliProcess.Run("report", empty);

        // Then both fail with exit code 1, say what is wrong without a stack trace, and write no report
        Assert.True(onMissing.ExitCode == 1, $"exit code {onMissing.ExitCode}: {onMissing.Output}{onMissing.Errors}");
        Assert.Contains("does not exist", OneLine(onMissing.Errors), StringComparison.Ordinal);
        Assert.True(onEmpty.ExitCode == 1, $"exit code {onEmpty.ExitCode}: {onEmpty.Output}{onEmpty.Errors}");
        Assert.Contains("is not a run folder: it has no config.json", OneLine(onEmpty.Errors), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", onMissing.Errors + onEmpty.Errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(empty, "report.html")));
    }

    [Fact]
    public void Should_keep_the_doctors_findings_in_the_run_folder_and_show_them_in_the_rebuilt_report()
    {
        // Given a copy of a finished tiny run that the doctor has not examined: its report has no doctor section
        using var temp = new TempFolder();
        var run = CopyOfTinyRun(temp, "examined-run");
        Assert.DoesNotContain("<section id=\"doctor\">", File.ReadAllText(Path.Combine(run, "report.html")), StringComparison.Ordinal);

        // When 'holdout doctor DATA --run RUN --json' examines it, then 'holdout report RUN' rebuilds the report
        var doctor = CliProcess.Run("doctor", TinyRun.Data, "--run", run, "--json");
        var report = CliProcess.Run("report", run);

        // Then the run folder holds doctor.json: the findings printed, with when they were made, and no temporary file
        Assert.True(doctor.ExitCode is 0 or 1, doctor.Output + doctor.Errors);
        Assert.True(report.ExitCode == 0, report.Output + report.Errors);
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "doctor.json")))!.AsObject();
        var printed = JsonNode.Parse(doctor.Output)!.AsObject();
        Assert.Equal(printed["findings"]!.ToJsonString(), saved["findings"]!.ToJsonString());
        Assert.NotNull(saved["created"]);
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));

        // And the report shows them after the top losses and before the configuration, every finding's code with it
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        var section = html.IndexOf("<section id=\"doctor\">", StringComparison.Ordinal);
        Assert.True(section > html.IndexOf("<section id=\"top-losses\">", StringComparison.Ordinal), "the doctor's findings are not after the gallery");
        Assert.True(section < html.IndexOf("<section id=\"configuration\">", StringComparison.Ordinal), "the doctor's findings are not before the configuration");
        foreach (var finding in saved["findings"]!.AsArray())
            Assert.Contains($"<code>{finding!["code"]!.GetValue<string>()}</code>", html, StringComparison.Ordinal);
    }

    /// <summary>A copy of the shared tiny run's folder (its gradcam/ folder included) under <paramref name="temp"/>.</summary>
    private static string CopyOfTinyRun(TempFolder temp, string name)
    {
        var run = Path.Combine(temp.Path, name);
        foreach (var file in Directory.GetFiles(TinyRun.Folder, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(run, Path.GetRelativePath(TinyRun.Folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return run;
    }

    /// <summary>The console wraps long lines at spaces; the checks read the text as one line.</summary>
    private static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
}
