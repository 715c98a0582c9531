using System.Text.Json.Nodes;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Tests.Inference;
using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

[Collection(NativeCollection.Name)]
public sealed class EmbedCommandTests
{
    /// <summary>The options every --model run here uses: a small random ResNet-18, float32, one decoding thread.</summary>
    private static readonly string[] SmallResNet = ["--model", "resnet18", "--weights", "none", "--image-size", "64", "--precision", "fp32", "--workers", "1", "--batch-size", "3"];

    /// <summary>What the library computes for the same images with the same options: the oracle for the files.</summary>
    private static List<float[]> LibraryFeatures(IEnumerable<string> paths)
    {
        using var embedder = Embedder.Create(Architecture.ResNet18, ModelOptions.NoWeights, 64, new EmbedderOptions(BatchSize: 3, Workers: 1, Precision: Precision.Fp32));
        return [.. embedder.Embed(paths).Select(e => e.Features!)];
    }

    private static List<float[]> Split(float[] values, int columns) =>
        [.. Enumerable.Range(0, values.Length / columns).Select(r => values.AsSpan(r * columns, columns).ToArray())];

    private static void AssertSameFeatures(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual)
    {
        // The tool is another process (its own thread count), so equal to float32 rounding rather than bit for bit.
        var difference = EmbedderTests.Relative(expected, actual);
        Assert.True(difference <= 1e-6, $"the written features differ from the library's by {difference:E2} of the largest");
    }

    [Fact]
    public void Should_write_an_npy_array_equal_to_the_library_features_with_the_paths_beside_it()
    {
        // Given a folder of four pictures
        using var temp = new TempFolder();
        var paths = EmbedderTests.Pictures(temp, 4);
        var output = Path.Combine(temp.Path, "out", "feats.npy");

        // When 'holdout embed --model resnet18 --weights none FOLDER --out feats.npy' runs
        var result = CliProcess.Run(["embed", .. SmallResNet, Path.Combine(temp.Path, "pictures"), "--out", output]);

        // Then it succeeds; the array (its header parsed here) is 4 x 512 and equals the library's features; the paths
        // file lists the pictures in row order; the summary names the count, the width, the model and the file
        Assert.True(result.ExitCode == 0, result.Errors);
        var (rows, columns, values) = EmbeddingFileTests.ReadNpy(output);
        Assert.Equal((4L, 512), (rows, columns));
        AssertSameFeatures(LibraryFeatures(paths), Split(values, columns));
        Assert.Equal(paths, File.ReadAllLines(Path.Combine(temp.Path, "out", "feats.paths.txt")));
        Assert.Contains("4 image(s) embedded (512 features, resnet18", result.Errors, StringComparison.Ordinal);
        Assert.Contains($"-> {output}", result.Errors, StringComparison.Ordinal);
        Assert.Contains("; 0 failed", result.Errors, StringComparison.Ordinal);
    }

    [PythonModuleFact("numpy")]
    public void Should_write_an_npy_array_that_numpy_loads_as_float32_rows_equal_to_the_library_features()
    {
        // Given three pictures written as .npy by the tool
        using var temp = new TempFolder();
        var paths = EmbedderTests.Pictures(temp, 3);
        var output = Path.Combine(temp.Path, "feats.npy");
        var result = CliProcess.Run(["embed", .. SmallResNet, .. paths, "--out", output]);
        Assert.True(result.ExitCode == 0, result.Errors);

        // When NumPy loads it
        var loaded = Python.Run(
            "import json, sys, numpy as np\n" +
            "a = np.load(sys.argv[1])\n" +
            "print(json.dumps({'dtype': a.dtype.str, 'shape': list(a.shape), 'c': bool(a.flags['C_CONTIGUOUS']), 'rows': a.tolist()}))",
            output);

        // Then it is a little-endian float32 3 x 512 array whose rows equal the library's features
        Assert.True(loaded.ExitCode == 0, loaded.Errors);
        var json = JsonNode.Parse(loaded.Output)!;
        Assert.Equal("<f4", json["dtype"]!.GetValue<string>());
        Assert.Equal([3, 512], json["shape"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.True(json["c"]!.GetValue<bool>());
        var rows = json["rows"]!.AsArray().Select(r => r!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray()).ToList();
        AssertSameFeatures(LibraryFeatures(paths), rows);
    }

    [Fact]
    public void Should_write_json_lines_equal_to_the_library_features()
    {
        // Given three pictures
        using var temp = new TempFolder();
        var paths = EmbedderTests.Pictures(temp, 3);
        var output = Path.Combine(temp.Path, "feats.jsonl");

        // When 'holdout embed ... --out feats.jsonl' runs
        var result = CliProcess.Run(["embed", .. SmallResNet, .. paths, "--out", output]);

        // Then there is one line per picture, in order, with its path and the library's features
        Assert.True(result.ExitCode == 0, result.Errors);
        var lines = EmbeddingFileTests.ReadJsonLines(output);
        Assert.Equal(paths, lines.Select(l => l.Path));
        AssertSameFeatures(LibraryFeatures(paths), [.. lines.Select(l => l.Features)]);
        Assert.False(File.Exists(Path.Combine(temp.Path, "feats.paths.txt")));
        Assert.Contains("3 image(s) embedded (512 features", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_a_corrupt_image_embed_the_others_with_the_runs_model_and_exit_1()
    {
        // Given a folder with two of the tiny run's images and a truncated JPEG
        using var temp = new TempFolder();
        var images = Path.Combine(temp.Path, "images");
        Directory.CreateDirectory(images);
        File.Copy(TinyRun.Result.Split.Entries[0].Path, Path.Combine(images, "a.png"));
        File.Copy(TinyRun.Result.Split.Entries[1].Path, Path.Combine(images, "b.png"));
        File.WriteAllBytes(Path.Combine(images, "zz-corrupt.jpg"), TestImages.Jpeg(9, 64, 64)[..200]);
        var output = Path.Combine(temp.Path, "feats.npy");

        // When 'holdout embed RUN FOLDER --out feats.npy' runs
        var result = CliProcess.Run("embed", TinyRun.Folder, images, "--out", output, "--workers", "1");

        // Then the corrupt file is named with its reason on stderr and counted, the two images are embedded with the
        // run's model (the library's features for them), and the exit code is 1, as predict's for a partial failure
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot embed {Path.Combine(images, "zz-corrupt.jpg")}: ", result.Errors, StringComparison.Ordinal);
        Assert.Contains("2 image(s) embedded", result.Errors, StringComparison.Ordinal);
        Assert.Contains("; 1 failed", result.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Errors, StringComparison.Ordinal);
        var (rows, columns, values) = EmbeddingFileTests.ReadNpy(output);
        Assert.Equal(2, rows);
        string[] good = [Path.Combine(images, "a.png"), Path.Combine(images, "b.png")];
        Assert.Equal(good, File.ReadAllLines(Path.Combine(temp.Path, "feats.paths.txt")));
        using var embedder = Embedder.Load(TinyRun.Folder, new EmbedderOptions(Workers: 1));
        AssertSameFeatures([.. embedder.Embed(good).Select(e => e.Features!)], Split(values, columns));
    }

    public static TheoryData<string[], string> UsageMistakes() => new()
    {
        { ["--model", "resnet18", "{image}", "--out", "feats.csv"], "--out" },
        { ["--model", "resnet18", "{run}", "{image}", "--out", "feats.npy"], "--model" },
        { ["{run}", "{image}", "--out", "feats.npy", "--weights", "none"], "--weights" },
        { ["{run}", "{image}", "--out", "feats.npy", "--image-size", "64"], "--image-size" },
        { ["--model", "resnet50", "{image}", "--out", "feats.npy"], "--weights" },
        { ["{run}", "{image}"], "--out" },
    };

    [Theory]
    [MemberData(nameof(UsageMistakes))]
    public void Should_refuse_a_usage_mistake_with_one_line_naming_the_option(string[] args, string option)
    {
        // Given a run folder (a folder with a bundle) and an image
        using var temp = new TempFolder();
        var run = Path.Combine(temp.Path, "run");
        temp.Write("run/best.holdout", [0]);
        var image = temp.Write("photo.png", TestImages.Png(1));

        // When 'holdout embed' is given a mistaken combination
        var result = CliProcess.Run(["embed", .. args.Select(a => a.Replace("{run}", run, StringComparison.Ordinal).Replace("{image}", image, StringComparison.Ordinal))]);

        // Then it exits with the usage code (2, as every command does for an option it cannot take), naming the option,
        // without a stack trace, and writes nothing
        Assert.Equal(2, result.ExitCode);
        var error = Assert.Single(result.Errors.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(option, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Errors + result.Output, StringComparison.Ordinal);
        Assert.Equal(["photo.png"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }
}
