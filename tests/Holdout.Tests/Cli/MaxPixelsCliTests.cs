using Holdout.Tests.Fuzzing;

namespace Holdout.Tests.Cli;

public sealed class MaxPixelsCliTests
{
    [Fact]
    public void Should_offer_max_pixels_on_every_command_that_reads_images()
    {
        foreach (var command in new[] { "train", "split", "doctor", "predict", "explain", "evaluate", "preview", "lr-find" })
        {
            var result = CliProcess.Run(command, "--help");
            Assert.True(result.ExitCode == 0, result.Output + result.Errors);
            Assert.Contains("--max-pixels", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_report_a_decompression_bomb_with_its_dimensions_in_split_and_doctor_and_honour_the_option()
    {
        // Given two classes of small pictures and a 30000x30000 PNG bomb
        using var data = new TempFolder();
        for (var i = 0; i < 12; i++)
        {
            data.Write($"{"ab"[i % 2]}/{i}.png", TestImages.Png(i));
        }
        data.Write("a/bomb.png", HostileImages.Png(30000, 30000, rows: 1));
        var output = Path.Combine(data.Path, "split.csv");

        // When split and doctor run on it, and split again with a limit below the small pictures' 3072 pixels
        var split = CliProcess.Run("split", data.Path, "--out", output);
        var doctor = CliProcess.Run("doctor", data.Path, "--json");
        var lowered = CliProcess.Run("split", data.Path, "--out", output, "--max-pixels", "3000");

        // Then both finish (doctor exit 0: a skipped file is a warning) and name the bomb with its size, no stack trace;
        // the option applies to every image, and split, left with no usable image, fails (exit 1) saying so
        Assert.True(split.ExitCode == 0, split.Output + split.Errors);
        Assert.True(doctor.ExitCode == 0, $"doctor exited {doctor.ExitCode}:\n{doctor.Output}{doctor.Errors}");
        Assert.Contains("bomb.png: too large: 30000x30000 = 900.0", OneLine(split.Output), StringComparison.Ordinal);
        Assert.Contains("too large: 30000x30000 = 900.0 megapixels", doctor.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", split.Output + split.Errors + doctor.Output + doctor.Errors);
        Assert.True(lowered.ExitCode == 1, $"split --max-pixels 3000 exited {lowered.ExitCode}:\n{lowered.Output}{lowered.Errors}");
        Assert.Contains("has no usable images: all 13 file(s) were skipped", OneLine(lowered.Errors), StringComparison.Ordinal);
        Assert.Contains("over the limit of 0.003 (--max-pixels)", OneLine(lowered.Output), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", lowered.Output + lowered.Errors);
    }

    /// <summary>The console wraps long lines at spaces; the checks read the text as one line.</summary>
    private static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
}
