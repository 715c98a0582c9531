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
