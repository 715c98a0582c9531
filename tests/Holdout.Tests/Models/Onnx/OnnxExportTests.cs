using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Models.Onnx;

[Collection(NativeCollection.Name)]
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const int Images = 32;

    public static TheoryData<string> Cases() => ExportCase.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_give_holdouts_logits_in_onnx_runtime_on_32_real_images(string name)
    {
        // Given a model in evaluation mode and 32 real bean photos prepared by the evaluation loader with its preprocessing
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ExportCase.Create(name);
        var preprocessing = model.Spec.Preprocessing;
        var size = preprocessing.EvaluationSize;
        var samples = SampleBeans.Take(Images);
        float[] images, expectedLogits, expectedProbabilities;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var loader = BatchLoader.ForEvaluation(samples, preprocessing, new BatchLoaderOptions(BatchSize: Images, Workers: 2));
            using var batch = loader.Batches(0).Single();
            images = batch.Images.data<float>().ToArray();
            var logits = model.forward(batch.Images);
            expectedLogits = logits.data<float>().ToArray();
            expectedProbabilities = logits.softmax(1).data<float>().ToArray();
        }
        var pixels = RenderPixels(samples, preprocessing);

        // When it is exported with float input and with the preprocessing inside, and ONNX Runtime runs both files
        var plain = Path.Combine(temp.Path, "model.onnx");
        var withPreprocessing = Path.Combine(temp.Path, "model-pixels.onnx");
        OnnxExport.Save(model, plain);
        OnnxExport.Save(model, withPreprocessing, new OnnxExportOptions(WithPreprocessing: true));
        var (logitsFromFloats, probabilitiesFromFloats) = OnnxRuntimeOutputs.Run(plain, images, Images, 3, size, size);
        var (logitsFromPixels, probabilitiesFromPixels) = OnnxRuntimeOutputs.Run(withPreprocessing, pixels, Images, size, size, 3);

        // Then the logits of both agree with Holdout's within 1e-4 on every image and class, and so do the probabilities
        var floatDifference = MaxDifference(expectedLogits, logitsFromFloats);
        var pixelDifference = MaxDifference(expectedLogits, logitsFromPixels);
        output.WriteLine($"{name} ({model.Spec.Architecture}, {size} px): max |logit| {expectedLogits.Max(Math.Abs):F3}; " +
                         $"max abs difference float input {floatDifference:E2}, uint8 input {pixelDifference:E2}; " +
                         $"{new FileInfo(plain).Length / 1e6:F1} MB");
        Assert.Equal(expectedLogits.Length, logitsFromFloats.Length);
        Assert.True(floatDifference <= 1e-4, $"{name}: logits differ by {floatDifference} with float input");
        Assert.True(pixelDifference <= 1e-4, $"{name}: logits differ by {pixelDifference} with uint8 input");
        Assert.True(MaxDifference(expectedProbabilities, probabilitiesFromFloats) <= 1e-5);
        Assert.True(MaxDifference(expectedProbabilities, probabilitiesFromPixels) <= 1e-5);
        Assert.True(expectedLogits.Max(Math.Abs) > 0.1, "the logits are too small for the comparison to mean anything");
    }

    [Fact]
    public void Should_fold_every_batch_norm_and_drop_dropout()
    {
        // Given a ResNet-50 with a BatchNorm and dropout head
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet50, SampleBeans.Classes, 32, ModelOptions.NoWeights, new HeadOptions(Dropout: 0.5, BatchNorm: true)));

        // When it is exported and the graph is read back
        var path = Path.Combine(temp.Path, "model.onnx");
        OnnxExport.Save(model, path);
        var graph = OnnxModel.Read(path);

        // Then there is one Conv per convolution (53), no BatchNormalization or Dropout node, one Gemm, and the named input and outputs
        var ops = graph.Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(53, ops["Conv"]);
        Assert.Equal(1, ops["Gemm"]);
        Assert.False(ops.ContainsKey("BatchNormalization"));
        Assert.False(ops.ContainsKey("Dropout"));
        Assert.Equal([OnnxModelInfo.InputName], graph.Inputs);
        Assert.Equal([OnnxModelInfo.LogitsName, OnnxModelInfo.ProbabilitiesName], graph.Outputs);
    }

    [Fact]
    public void Should_have_a_dynamic_batch_and_the_metadata_to_prepare_images()
    {
        // Given the bundled ResNet-18 exported with its preprocessing inside
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = PretrainedResNet18.Create(SampleBeans.Classes, 64);
        var path = Path.Combine(temp.Path, "model.onnx");
        OnnxExport.Save(model, path, new OnnxExportOptions(WithPreprocessing: true));

        // When its metadata is read by Holdout and by ONNX Runtime, and it runs on batches of 1 and 5
        var info = OnnxModelInfo.Read(path);
        using var session = new InferenceSession(path);
        var one = OnnxRuntimeOutputs.Run(session, new byte[64 * 64 * 3], 1, 64, 64, 3);
        var five = OnnxRuntimeOutputs.Run(session, new byte[5 * 64 * 64 * 3], 5, 64, 64, 3);

        // Then the classes, preprocessing and input format round-trip, the batch dimension is symbolic, and both batches run
        Assert.Equal(SampleBeans.Classes, info.ClassNames);
        Assert.Equal(model.Spec.Preprocessing, info.Preprocessing);
        Assert.Equal(model.Spec, info.Spec);
        Assert.True(info.IncludesPreprocessing);
        Assert.Equal(OnnxExport.DefaultOpset, info.Opset);
        Assert.Equal([-1, 64, 64, 3], session.InputMetadata[OnnxModelInfo.InputName].Dimensions);
        Assert.Equal(typeof(byte), session.InputMetadata[OnnxModelInfo.InputName].ElementType);
        Assert.Equal([-1, 3], session.OutputMetadata[OnnxModelInfo.ProbabilitiesName].Dimensions);
        var custom = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("[\"angular_leaf_spot\",\"bean_rust\",\"healthy\"]", custom["class_names"]);
        Assert.Equal("64", custom["image_size"]);
        Assert.Contains("\"color_order\":\"Bgr\"", custom["preprocessing"], StringComparison.Ordinal);
        Assert.Equal("Holdout", session.ModelMetadata.ProducerName);
        Assert.Equal(3, one.Probabilities.Length);
        Assert.Equal(15, five.Probabilities.Length);
        Assert.Equal(one.Logits, five.Logits[..3]);
    }

    [Theory]
    [InlineData(OnnxExport.MinimumOpset)]
    [InlineData(OnnxExport.MaximumOpset)]
    public void Should_give_the_same_outputs_at_the_oldest_and_newest_opset(int opset)
    {
        // Given the bundled ResNet-18 at an odd size (asymmetric pads, shortcut crop), exported at the default opset and at another
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = PretrainedResNet18.Create(SampleBeans.Classes, 67);
        var reference = Path.Combine(temp.Path, "default.onnx");
        var other = Path.Combine(temp.Path, $"opset{opset}.onnx");
        OnnxExport.Save(model, reference, new OnnxExportOptions(WithPreprocessing: true));
        OnnxExport.Save(model, other, new OnnxExportOptions(opset, WithPreprocessing: true));
        var pixels = RenderPixels(SampleBeans.Take(4), model.Spec.Preprocessing);

        // When ONNX Runtime runs both; Then they agree and the file declares the requested opset
        var expected = OnnxRuntimeOutputs.Run(reference, pixels, 4, 67, 67, 3);
        var actual = OnnxRuntimeOutputs.Run(other, pixels, 4, 67, 67, 3);
        Assert.True(MaxDifference(expected.Logits, actual.Logits) <= 1e-5);
        Assert.Equal(opset, OnnxModelInfo.Read(other).Opset);
    }

    [Fact]
    public void Should_refuse_an_unsupported_opset_and_name_the_range()
    {
        // Given a model; When it is exported at opset 9; Then a clear error names the option and the range, and no file is written
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ExportCase.Create("simple-cnn");
        var path = Path.Combine(temp.Path, "model.onnx");
        var error = Assert.Throws<HoldoutException>(() => OnnxExport.Save(model, path, new OnnxExportOptions(Opset: 9)));
        Assert.Contains("--opset 9 is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains($"from {OnnxExport.MinimumOpset} to {OnnxExport.MaximumOpset}", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Should_say_when_an_onnx_file_was_not_exported_by_holdout()
    {
        // Given the bundled CNTK ResNet-18 (an ONNX file without Holdout's metadata) and a file that is not ONNX
        using var temp = new TempFolder();
        var text = temp.Write("notes.onnx", "hello, this is not a protobuf"u8.ToArray());

        // When their metadata is read; Then the errors say what is missing and how to fix it
        var foreign = Assert.Throws<HoldoutException>(() => OnnxModelInfo.Read(PretrainedCatalog.ResNet18OnnxPath));
        Assert.Contains("has no Holdout metadata", foreign.Message, StringComparison.Ordinal);
        Assert.Contains("holdout export", foreign.Message, StringComparison.Ordinal);
        var damaged = Assert.Throws<HoldoutException>(() => OnnxModelInfo.Read(text));
        Assert.Contains("notes.onnx", damaged.Message, StringComparison.Ordinal);
    }

    [PythonModuleFact("onnx")]
    public void Should_pass_the_onnx_checker_with_full_shape_inference()
    {
        // Given the simple CNN, the bundled ResNet-18 at an odd size with its preprocessing inside, and a ResNet-50 with a BatchNorm head
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var files = new List<string>();
        foreach (var (name, withPreprocessing) in new[] { ("simple-cnn", false), ("resnet18-bundled-odd", true), ("resnet50", false) })
        {
            using var model = ExportCase.Create(name);
            var path = Path.Combine(temp.Path, $"{name}.onnx");
            OnnxExport.Save(model, path, new OnnxExportOptions(WithPreprocessing: withPreprocessing));
            files.Add(path);
        }

        // When Python's onnx checks each file and infers every shape
        var result = Python.Run("""
            import sys, onnx
            for path in sys.argv[1:]:
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
                out = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in inferred.graph.output}
                print(path, model.ir_version, model.opset_import[0].version, out)
            """, [.. files]);

        // Then every file passes, with IR 8, opset 17 and outputs batch x 3
        Assert.True(result.ExitCode == 0, result.Errors);
        output.WriteLine(result.Output);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.EndsWith(" 8 17 {'logits': ['batch', 3], 'probabilities': ['batch', 3]}", line, StringComparison.Ordinal));
    }

    /// <summary>Each sample's resized 8-bit RGB pixels (size x size x 3), exactly those the evaluation loader normalises.</summary>
    internal static byte[] RenderPixels(IReadOnlyList<ImageSample> samples, Preprocessing preprocessing)
    {
        using var renderer = new SampleRenderer(preprocessing.ForEvaluation());
        var pixels = new byte[samples.Count * renderer.Length];
        for (int i = 0; i < samples.Count; i++) renderer.RenderPixels(samples[i].Path, pixels.AsSpan(i * renderer.Length, renderer.Length));
        return pixels;
    }

    internal static float MaxDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
    }
}
