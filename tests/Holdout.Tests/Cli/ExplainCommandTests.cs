using System.Text.Json.Nodes;
using Holdout.Tests.Training;
using SkiaSharp;

namespace Holdout.Tests.Cli;

[Collection(NativeCollection.Name)]
public sealed class ExplainCommandTests
{
    [Fact]
    public void Should_write_an_overlay_png_and_a_json_line_per_image_with_unique_names()
    {
        // Given two folders of the tiny run's images that both hold an 'image0.png'
        using var temp = new TempFolder();
        var images = TinyRun.Result.Split.Entries.Take(3).ToList();
        Directory.CreateDirectory(Path.Combine(temp.Path, "a"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "b"));
        File.Copy(images[0].Path, Path.Combine(temp.Path, "a", "image0.png"));
        File.Copy(images[1].Path, Path.Combine(temp.Path, "a", "image1.png"));
        File.Copy(images[2].Path, Path.Combine(temp.Path, "b", "image0.png"));
        var output = Path.Combine(temp.Path, "explained");

        // When 'holdout explain RUN a b --out DIR' runs
        var result = CliProcess.Run("explain", TinyRun.Folder, Path.Combine(temp.Path, "a"), Path.Combine(temp.Path, "b"), "--out", output);

        // Then it succeeds and writes three overlays (named after the images, made unique) that decode at the model's input size
        Assert.True(result.ExitCode == 0, result.Errors);
        var lines = File.ReadAllLines(Path.Combine(output, "explanations.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(3, lines.Count);
        var overlays = lines.Select(l => l["overlay"]!.GetValue<string>()).ToList();
        Assert.Equal(["image0.png", "image1.png", "image0-2.png"], overlays);
        Assert.Equal(["image0-2.png", "image0.png", "image1.png"], Directory.GetFiles(output, "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var overlay in overlays)
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(output, overlay));
            Assert.True(bitmap is not null, $"{overlay} is not a PNG");
            Assert.Equal((32, 32), (bitmap.Width, bitmap.Height));
        }

        // And each JSON line names the image, the prediction, the class explained and where the heat lies
        var classes = new[] { "red", "green", "blue" };
        foreach (var line in lines)
        {
            Assert.True(File.Exists(line["path"]!.GetValue<string>()));
            Assert.Contains(line["predicted"]!.GetValue<string>(), classes);
            Assert.Equal(line["predicted"]!.GetValue<string>(), line["explained"]!.GetValue<string>());
            Assert.InRange(line["probability"]!.GetValue<double>(), 0, 1);
            Assert.InRange(line["peak"]!["x"]!.GetValue<double>(), 0, 1);
            Assert.InRange(line["peak"]!["y"]!.GetValue<double>(), 0, 1);
            Assert.InRange(line["border_share"]!.GetValue<double>(), 0, 1);
            var quadrants = line["quadrants"]!.AsObject();
            Assert.Equal(["top_left", "top_right", "bottom_left", "bottom_right"], quadrants.Select(q => q.Key));
            Assert.Equal(1, quadrants.Sum(q => q.Value!.GetValue<double>()), 6);
        }
        Assert.Contains("3 image(s) explained", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_explain_an_asked_class_and_name_the_classes_when_the_name_is_unknown()
    {
        // Given one image of the tiny run
        using var temp = new TempFolder();
        var image = TinyRun.Result.Split.Entries[0].Path;

        // When 'holdout explain' is asked for class 'blue', for a class the model lacks, and for a folder that is not a run
        var blue = CliProcess.Run("explain", TinyRun.Folder, image, "--out", Path.Combine(temp.Path, "blue"), "--class", "blue");
        var unknown = CliProcess.Run("explain", TinyRun.Folder, image, "--out", Path.Combine(temp.Path, "x"), "--class", "purple");
        var notRun = CliProcess.Run("explain", temp.Path, image, "--out", Path.Combine(temp.Path, "y"));

        // Then the first explains blue; the others fail with exit code 1, one line naming the classes or what is missing, no stack trace
        Assert.True(blue.ExitCode == 0, blue.Errors);
        var line = JsonNode.Parse(File.ReadAllLines(Path.Combine(temp.Path, "blue", "explanations.jsonl")).Single())!;
        Assert.Equal("blue", line["explained"]!.GetValue<string>());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no class 'purple'", unknown.Errors, StringComparison.Ordinal);
        Assert.Contains("red", unknown.Errors, StringComparison.Ordinal);
        Assert.Contains("green", unknown.Errors, StringComparison.Ordinal);
        Assert.Contains("blue", unknown.Errors, StringComparison.Ordinal);
        Assert.Equal(1, notRun.ExitCode);
        Assert.Contains("neither config.json nor best.holdout", notRun.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unknown.Errors + notRun.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "x")));
    }

    [Fact]
    public void Should_skip_an_unreadable_image_with_a_warning_and_exit_1()
    {
        // Given a folder with one run image and one truncated JPEG
        using var temp = new TempFolder();
        var images = Path.Combine(temp.Path, "images");
        Directory.CreateDirectory(images);
        File.Copy(TinyRun.Result.Split.Entries[0].Path, Path.Combine(images, "good.png"));
        File.WriteAllBytes(Path.Combine(images, "zz-corrupt.jpg"), TestImages.Jpeg(9, 64, 64)[..200]);

        // When 'holdout explain' runs on the folder
        var result = CliProcess.Run("explain", TinyRun.Folder, images, "--out", Path.Combine(temp.Path, "out"));

        // Then the good image is explained, the bad one named on stderr and in an error line, and the exit code is 1
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("zz-corrupt.jpg", result.Errors, StringComparison.Ordinal);
        var lines = File.ReadAllLines(Path.Combine(temp.Path, "out", "explanations.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("good.png", lines[0]!["overlay"]!.GetValue<string>());
        Assert.NotNull(lines[1]!["error"]);
        Assert.Single(Directory.GetFiles(Path.Combine(temp.Path, "out"), "*.png"));
    }
}
