using System.Diagnostics;
using System.Runtime.CompilerServices;
using Holdout.Models;
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
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = temp.Path };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "QuickStart.dll"));
        info.ArgumentList.Add(data);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();

        // Then it prints a test accuracy and saves a bundle that loads with its classes
        Assert.True(process.ExitCode == 0, output + errors);
        Assert.Matches(@"test accuracy: \d", output);
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
