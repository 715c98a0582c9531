using Holdout.Inference;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Holdout.Tests.Training;

namespace Holdout.Tests.Inference;

[Collection(NativeCollection.Name)]
public sealed class OnnxPredictorTests
{
    public OnnxPredictorTests() => NativeRuntime.EnsureInitialized();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Should_predict_what_the_bundle_predicts_from_the_exported_file(bool withPreprocessing, bool tta)
    {
        // Given the tiny run's bundle exported to ONNX, and every image of its split
        using var temp = new TempFolder();
        var onnx = Export(temp, withPreprocessing);
        var paths = TinyRun.Result.Split.Entries.Select(e => e.Path).ToList();
        var options = new PredictorOptions(BatchSize: 7, Workers: 2, FlipHorizontal: tta, FlipVertical: tta, Precision: Precision.Fp32);

        // When the bundle (TorchSharp, in float32 like the file: the run itself used bfloat16 where the CPU has it) and
        // the ONNX file (ONNX Runtime) classify them
        using var bundle = Predictor.Load(TinyRun.Folder, options);
        using var exported = Predictor.Load(onnx, options);
        var expected = bundle.Predict(paths).ToList();
        var actual = exported.Predict(paths).ToList();

        // Then the classes, preprocessing, labels and probabilities (within 1e-4) agree image for image
        Assert.Equal(bundle.ClassNames, exported.ClassNames);
        Assert.Equal(bundle.Preprocessing, exported.Preprocessing);
        Assert.Equal(onnx, exported.BundlePath);
        Assert.Equal(paths.Count, actual.Count);
        for (int i = 0; i < paths.Count; i++)
        {
            Assert.Equal(expected[i].Path, actual[i].Path);
            Assert.Equal(expected[i].Label, actual[i].Label);
            for (int c = 0; c < bundle.ClassNames.Count; c++)
                Assert.True(Math.Abs(expected[i].Probabilities![c] - actual[i].Probabilities![c]) <= 1e-4, $"{paths[i]} class {c}");
        }
    }

    [Fact]
    public void Should_report_unreadable_files_and_still_predict_the_others_from_the_exported_file()
    {
        // Given an exported model, a good image, a truncated JPEG and a path that does not exist
        using var temp = new TempFolder();
        var onnx = Export(temp, withPreprocessing: true);
        var good = TinyRun.Result.Split.Entries[0].Path;
        var truncated = temp.Write("truncated.jpg", TestImages.Jpeg(3, 64, 64)[..300]);
        var missing = Path.Combine(temp.Path, "missing.png");

        // When they are predicted in one stream
        using var predictor = Predictor.Load(onnx);
        var results = predictor.Predict([truncated, good, missing]).ToList();

        // Then the good one is predicted as when alone, the others carry the reason
        Assert.True(results[1].Succeeded);
        Assert.Equal(predictor.Predict(good).Probabilities, results[1].Probabilities);
        Assert.Equal(1f, results[1].Probabilities!.Sum(), 4);
        Assert.Contains("truncated", results[0].Error, StringComparison.Ordinal);
        Assert.Contains("missing.png", results[2].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_onnx_file_without_holdouts_metadata_with_a_clear_error()
    {
        // Given an ONNX file that Holdout did not export (the bundled CNTK ResNet-18)
        // When a predictor loads it; Then the error names the file and says how to get one
        var error = Assert.Throws<HoldoutException>(() => Predictor.Load(PretrainedCatalog.ResNet18OnnxPath));
        Assert.Contains(PretrainedCatalog.ResNet18OnnxPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("holdout export", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_mirror_images_in_either_layout()
    {
        // Given one 3 x 2 x 2 float image (NCHW) and one 2 x 2 x 3 pixel image (NHWC)
        float[] planes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        byte[] pixels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

        // When they are flipped left-right and upside down
        var planesMirrored = OnnxRuntimeBackend.Flip(planes, 3, 2, 1, horizontal: true, vertical: false);
        var pixelsMirrored = OnnxRuntimeBackend.Flip(pixels, 1, 2, 3, horizontal: true, vertical: false);
        var pixelsUpsideDown = OnnxRuntimeBackend.Flip(pixels, 1, 2, 3, horizontal: false, vertical: true);

        // Then columns (or rows) swap within each channel plane, and whole RGB pixels move together
        Assert.Equal([2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11], planesMirrored);
        Assert.Equal([4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9], pixelsMirrored);
        Assert.Equal([7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6], pixelsUpsideDown);
        Assert.Same(planes, OnnxRuntimeBackend.Flip(planes, 3, 2, 1, horizontal: false, vertical: false));
    }

    private static string Export(TempFolder temp, bool withPreprocessing) =>
        TinyRun.ExportOnnx(Path.Combine(temp.Path, withPreprocessing ? "pixels.onnx" : "model.onnx"), withPreprocessing);
}
