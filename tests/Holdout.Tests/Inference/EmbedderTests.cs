using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Tests.Inference;

[Collection(NativeCollection.Name)]
public sealed class EmbedderTests
{
    private const int Size = 64;

    public EmbedderTests() => NativeRuntime.EnsureInitialized();

    /// <summary>Five small pictures of other shapes than the model's input, so the evaluation resize and crop take part.</summary>
    internal static string[] Pictures(TempFolder temp, int count = 5) =>
        [.. Enumerable.Range(0, count).Select(i => temp.Write($"pictures/picture{i}.png", TestImages.Png(40 + i, 80 + 8 * i, 60)))];

    /// <summary>
    /// The features <see cref="ImageClassifier.Features"/> computes for the prepared images, <paramref name="batchSize"/>
    /// at a time, in evaluation mode with BatchNorm folded (as every inference path runs it): the oracle the embedder
    /// must equal. (oneDNN picks its kernels by batch size, so other batches agree only to float32 rounding.)
    /// </summary>
    internal static float[][] DirectFeatures(ImageClassifier model, IReadOnlyList<string> paths, int batchSize)
    {
        var preprocessing = model.Spec.Preprocessing.ForEvaluation();
        var (images, errors) = PreparedImages.Render(paths, preprocessing, pixels: false, workers: 1, maxPixels: null, CancellationToken.None);
        Assert.All(errors, e => Assert.Null(e));
        var size = preprocessing.InputSize;
        using var noGrad = no_grad();
        model.eval();
        using var folded = model.FoldedInference();
        var rows = new List<float[]>();
        foreach (var chunk in images.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var batch = tensor(PreparedImages.Concatenate(chunk.Select(i => (float[])i!)), [chunk.Length, 3, size, size]);
            var features = model.Features(batch);
            var dimension = (int)features.shape[1];
            var flat = features.data<float>().ToArray();
            rows.AddRange(Enumerable.Range(0, chunk.Length).Select(r => flat.AsSpan(r * dimension, dimension).ToArray()));
        }
        return [.. rows];
    }

    /// <summary>The largest difference between two sets of rows, as a share of the largest magnitude.</summary>
    internal static double Relative(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        double largest = 0, difference = 0;
        for (var r = 0; r < expected.Count; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            for (var i = 0; i < expected[r].Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(expected[r][i]));
                difference = Math.Max(difference, Math.Abs(expected[r][i] - actual[r][i]));
            }
        }
        Assert.True(largest > 0.1, "the features are too small for the comparison to mean anything");
        return difference / largest;
    }

    [Fact]
    public void Should_give_the_features_the_model_computes_for_the_same_prepared_images()
    {
        // Given a small ResNet-18 (random weights, 64 px), five pictures, and the features model.Features computes for
        // them prepared for evaluation, in batches of 2 and in one batch of 5
        using var temp = new TempFolder();
        var paths = Pictures(temp);
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], Size, ModelOptions.NoWeights));
        var inPairs = DirectFeatures(model, paths, batchSize: 2);
        var atOnce = DirectFeatures(model, paths, batchSize: 5);

        // When an embedder over that model embeds them in batches of 2, and one built from the architecture and weights alone does too
        List<ImageEmbedding> given, built;
        using (var embedder = new Embedder(model, new EmbedderOptions(BatchSize: 2, Workers: 1)))
            given = [.. embedder.Embed(paths)];
        using (var embedder = Embedder.Create(Architecture.ResNet18, ModelOptions.NoWeights, Size, new EmbedderOptions(BatchSize: 2, Workers: 1, Precision: Precision.Fp32)))
            built = [.. embedder.Embed(paths)];

        // Then every image has, in input order, exactly the 512 features model.Features computes in the same batches
        // (and those of one batch to float32 rounding: 4e-7 of the largest here); the model built from the same options gives the same
        Assert.Equal(paths, given.Select(e => e.Path));
        Assert.All(given, e => Assert.Equal(512, e.Features!.Length));
        Assert.Equal(inPairs, given.Select(e => e.Features!));
        var difference = Relative(atOnce, [.. given.Select(e => e.Features!)]);
        Assert.True(difference <= 1e-5, $"the embedder's features differ from model.Features in one batch by {difference:E2} of the largest");
        Assert.Equal(paths, built.Select(e => e.Path));
        Assert.Equal(inPairs, built.Select(e => e.Features!));
    }

    [Fact]
    public void Should_report_unreadable_files_and_still_embed_the_others()
    {
        // Given two pictures, a truncated JPEG and a path that does not exist
        using var temp = new TempFolder();
        var good = Pictures(temp, 2);
        var truncated = temp.Write("truncated.jpg", TestImages.Jpeg(3, 64, 64)[..300]);
        var missing = Path.Combine(temp.Path, "missing.png");

        // When they are embedded in one stream
        using var embedder = Embedder.Create(Architecture.ResNet18, ModelOptions.NoWeights, Size, new EmbedderOptions(BatchSize: 3, Workers: 1, Precision: Precision.Fp32));
        var results = embedder.Embed([good[0], truncated, missing, good[1]]).ToList();

        // Then the pictures have features, the others an error and none, in input order
        Assert.Equal([good[0], truncated, missing, good[1]], results.Select(r => r.Path));
        Assert.Equal([true, false, false, true], results.Select(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.False(string.IsNullOrWhiteSpace(r.Error)));
        Assert.All(results.Where(r => r.Succeeded), r => Assert.Null(r.Error));
        Assert.Equal(embedder.Embed(good[1]).Features, results[3].Features);
    }

    [Fact]
    public void Should_give_float32_features_close_to_float32_computation_in_bf16()
    {
        // Given three pictures
        using var temp = new TempFolder();
        var paths = Pictures(temp, 3);

        // When the same model embeds them in float32 and in bfloat16
        using var fp32 = Embedder.Create(Architecture.ResNet18, ModelOptions.NoWeights, Size, new EmbedderOptions(Workers: 1, Precision: Precision.Fp32));
        using var bf16 = Embedder.Create(Architecture.ResNet18, ModelOptions.NoWeights, Size, new EmbedderOptions(Workers: 1, Precision: Precision.Bf16));
        var exact = fp32.Embed(paths).Select(e => e.Features!).ToList();
        var rounded = bf16.Embed(paths).Select(e => e.Features!).ToList();

        // Then the bfloat16 features come back as float32 vectors of the same length, equal to bfloat16's rounding
        Assert.EndsWith("fp32", fp32.Description, StringComparison.Ordinal);
        Assert.EndsWith("bf16", bf16.Description, StringComparison.Ordinal);
        var difference = Relative(exact, rounded);
        Assert.True(difference is > 0 and <= 5e-2, $"bf16 features differ from fp32 by {difference:E2} of the largest");
    }

    [Fact]
    public void Should_refuse_an_exported_onnx_file_and_name_the_run_instead()
    {
        // Given a path to an ONNX file; When an embedder is loaded from it; Then the message says to pass the run
        var error = Assert.Throws<HoldoutException>(() => Embedder.Load("model.onnx"));
        Assert.Contains("run folder", error.Message, StringComparison.Ordinal);
    }
}
