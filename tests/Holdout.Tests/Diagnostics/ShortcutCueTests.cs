using System.Globalization;
using System.Text.RegularExpressions;
using Holdout.Diagnostics;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;
using SkiaSharp;
using Xunit.Abstractions;

namespace Holdout.Tests.Diagnostics;

/// <summary>
/// shortcut-cue end to end: a small synthetic dataset whose two classes come from the same picture generator, one of
/// them with a red square planted in the bottom-right corner of its training and validation images (never test); a
/// simple CNN trained briefly by holdout train learns the square; holdout doctor --deep must name it, and stay silent
/// on the same data without the square and on data whose classes differ all over the image.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed partial class ShortcutCueTests(ITestOutputHelper output)
{
    private const int Size = 32;

    public enum Variant
    {
        /// <summary>Class "a" carries the corner square in train and validation.</summary>
        CornerPatch,

        /// <summary>The same pictures without the square: the classes cannot be told apart.</summary>
        NoPatch,

        /// <summary>Class "b" is tinted blue all over: a real, global difference.</summary>
        GlobalTint,
    }

    private static string CreateData(TempFolder folder, Variant variant)
    {
        var root = Path.Combine(folder.Path, "data");
        var counts = new Dictionary<string, int> { ["train"] = 70, ["val"] = 24, ["test"] = 12 };
        var seed = 0;
        foreach (var (split, perClass) in counts)
        {
            foreach (var label in new[] { "a", "b" })
            {
                for (var i = 0; i < perClass; i++)
                {
                    using var bitmap = TestImages.Picture(seed++, Size, Size);
                    using (var canvas = new SKCanvas(bitmap))
                    {
                        if (variant == Variant.CornerPatch && label == "a" && split != "test")
                        {
                            using var red = new SKPaint { Color = new SKColor(230, 30, 30) };
                            canvas.DrawRect(Size - 7, Size - 7, 7, 7, red);
                        }
                        if (variant == Variant.GlobalTint && label == "b")
                        {
                            using var blue = new SKPaint { Color = new SKColor(20, 40, 255, 110) };
                            canvas.DrawRect(0, 0, Size, Size, blue);
                        }
                    }
                    folder.Write($"data/{split}/{label}/{label}{i:000}.png", TestImages.Encode(bitmap, SKEncodedImageFormat.Png));
                }
            }
        }
        return root;
    }

    [Theory]
    [InlineData(Variant.CornerPatch)]
    [InlineData(Variant.NoPatch)]
    [InlineData(Variant.GlobalTint)]
    public void Should_name_a_planted_corner_patch_with_its_class_corner_and_intervention_and_stay_silent_without_it(Variant variant)
    {
        // Given: a brief holdout train run of the simple CNN on the variant's data
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var data = CreateData(temp, variant);
        var run = Path.Combine(temp.Path, "run");
        var trained = TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, Epochs: 6, BatchSize: 16, ImageSize: Size,
            Seed: 7, Workers: 2, Out: run, Patience: 0, Augment: "none"));
        output.WriteLine($"validation accuracy {trained.Summary["val"]?["accuracy"]}, test {trained.Summary["test"]?["accuracy"]}");

        // When
        var montages = Path.Combine(temp.Path, "doctor");
        var report = Holdout.Diagnostics.Doctor.Examine(new DoctorOptions(data, run, Deep: true, Output: montages,
            Pipeline: new PipelineCheckOptions(StatisticsBatches: 2, OverfitSteps: 60, ShuffleSamples: 16)));
        output.WriteLine(report.FormatText());

        // Then
        var timing = Assert.Single(report.Timings, t => t.Check == FindingCodes.ShortcutCue);
        Assert.True(timing.Deep);
        var findings = report.WithCode(FindingCodes.ShortcutCue);
        if (variant != Variant.CornerPatch)
        {
            Assert.Empty(findings);
            return;
        }
        var finding = Assert.Single(findings);
        Assert.Contains("'a'", finding.Message, StringComparison.Ordinal);
        Assert.Contains("bottom-right corner", finding.Message, StringComparison.Ordinal);
        var drop = DropPattern().Match(finding.Message);
        Assert.True(drop.Success, finding.Message);
        var (before, after) = (double.Parse(drop.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(drop.Groups[2].Value, CultureInfo.InvariantCulture));
        var random = double.Parse(drop.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.True(before - after >= 0.2 && before - after > before - random + 0.15, finding.Message);
        var montage = Assert.Single(finding.Files!);
        Assert.StartsWith(montages, montage, StringComparison.Ordinal);
        using var picture = SKBitmap.Decode(montage);
        Assert.NotNull(picture);
    }

    [GeneratedRegex(@"from ([0-9.]+) to ([0-9.]+) \(a random region of the same size: ([0-9.]+)\)")]
    private static partial Regex DropPattern();
}
