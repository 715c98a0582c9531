using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Holdout.Models;
using Holdout.Tests.Cli;
using Holdout.Tests.Training;

namespace Holdout.Tests.Samples;

[Collection(NativeCollection.Name)]
public sealed class QuickStartTests
{
    [Fact]
    public void Should_run_the_readme_quick_start_end_to_end_on_tiny_data()
    {
        // Given a tiny class-per-folder dataset
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 10, size: 40);

        // When the quick-start sample (the README's snippet) runs on it
        var (exitCode, output, errors) = CliProcess.Run([data], timeout: null, workingDirectory: temp.Path, program: "QuickStart.dll");

        // Then it prints a test accuracy well above chance (1/3) and saves a bundle that loads with its classes.
        // Each class has its own dominant colour, which the pretrained backbone separates easily: measured 100.0% in
        // three runs (2026-12-07: this test once, the sample twice more on the same images). The floor of 80% leaves
        // room for one miss among the few test images and fails a run that learned nothing.
        Assert.True(exitCode == 0, output + errors);
        var printed = Regex.Match(output, @"test accuracy: (\d+(?:[.,]\d+)?)\s?%");
        Assert.True(printed.Success, $"no test accuracy in:\n{output}");
        var accuracy = double.Parse(printed.Groups[1].Value.Replace(',', '.'), CultureInfo.InvariantCulture) / 100;
        Assert.True(accuracy >= 0.8, $"test accuracy {accuracy:P1} is below the floor of 80%:\n{output}");
        var bundle = ModelBundle.Load(Path.Combine(temp.Path, "quickstart.holdout"));
        using (bundle.Model) Assert.Equal(TinyImageFolder.Classes.Order(), bundle.Model.ClassNames);
    }

    [Fact]
    public void Should_show_in_the_readme_exactly_the_quick_start_the_build_compiles()
    {
        // Given the README and the sample project
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", "QuickStart", "Program.cs")).ReplaceLineEndings("\n");

        // When the C# block that follows the sample's name is read
        var at = readme.IndexOf("`samples/QuickStart/Program.cs`", StringComparison.Ordinal);
        Assert.True(at >= 0, "README.md no longer names samples/QuickStart/Program.cs");
        var start = readme.IndexOf("```csharp\n", at, StringComparison.Ordinal) + "```csharp\n".Length;
        var block = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        // Then it is the sample, line for line
        Assert.Equal(program, block);
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
