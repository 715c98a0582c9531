using Holdout.Data;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Models.Onnx;

[Collection(NativeCollection.Name)]
public sealed class ConvNeXtOnnxTests(ITestOutputHelper output)
{
    private const int Images = 4;

    [Theory]
    [InlineData(11, false)]
    [InlineData(13, true)]
    [InlineData(17, true)]
    [InlineData(20, false)]
    [InlineData(21, true)]
    public void Should_give_holdouts_convnext_logits_in_onnx_runtime_at_every_opset(int opset, bool withPreprocessing)
    {
        // Given ConvNeXt-Tiny at 64 px (perturbed norms and layer scales, a trained-size output layer) in evaluation
        // mode, and four bean photos prepared by the evaluation loader
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ExportCase.Create("convnext-tiny");
        var preprocessing = model.Spec.Preprocessing;
        var size = preprocessing.EvaluationSize;
        var samples = SampleBeans.Take(Images);
        float[] images, expected;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var loader = BatchLoader.ForEvaluation(samples, preprocessing, new BatchLoaderOptions(BatchSize: Images, Workers: 1));
            using var batch = loader.Batches(0).Single();
            images = batch.Images.data<float>().ToArray();
            expected = model.forward(batch.Images).data<float>().ToArray();
        }

        // When it is exported at the opset and ONNX Runtime runs it
        var path = Path.Combine(temp.Path, $"convnext-opset{opset}.onnx");
        OnnxExport.Save(model, path, new OnnxExportOptions(opset, withPreprocessing));
        var (logits, _) = withPreprocessing
            ? OnnxRuntimeOutputs.Run(path, OnnxExportTests.RenderPixels(samples, preprocessing), Images, size, size, 3)
            : OnnxRuntimeOutputs.Run(path, images, Images, 3, size, size);

        // Then the logits agree within 1e-4, the graph is NCHW convolutions, and LayerNorm and GELU are single nodes where the opset has them
        var difference = OnnxExportTests.MaxDifference(expected, logits);
        var ops = OnnxModel.Read(path).Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"opset {opset} ({(withPreprocessing ? "uint8" : "float")} input): max |logit| {expected.Max(Math.Abs):F3}, " +
                         $"max abs difference {difference:E2}; {ops.Sum(o => o.Value)} nodes: {string.Join(", ", ops.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}");
        Assert.True(difference <= 1e-4, $"logits differ by {difference}");
        Assert.True(expected.Max(Math.Abs) > 0.1, "the logits are too small for the comparison to mean anything");
        Assert.Equal(opset, OnnxModelInfo.Read(path).Opset);
        Assert.Equal(1 + 18 * 3 + 3, ops["Conv"]); // the stem, per block a depthwise and two 1x1 convolutions, 3 downsamplings
        const int mapNorms = 1 + 18 + 3; // after the stem, in each block, before each downsampling
        Assert.Equal(opset >= 17 ? 1 : 0, ops.GetValueOrDefault("LayerNormalization")); // the pooled features' norm
        Assert.Equal(2 * mapNorms + (opset >= 17 ? 0 : 2), ops.GetValueOrDefault("ReduceMean"));
        Assert.Equal(opset >= 20 ? 18 : 0, ops.GetValueOrDefault("Gelu"));
        Assert.Equal(opset >= 20 ? 0 : 18, ops.GetValueOrDefault("Erf"));
        Assert.Equal(withPreprocessing ? 1 : 0, ops.GetValueOrDefault("Transpose")); // only the pixels' NHWC to NCHW
        Assert.False(ops.ContainsKey("MatMul"));
    }

    [PythonModuleFact("onnx")]
    public void Should_pass_the_onnx_checker_with_full_shape_inference_at_opsets_11_and_17()
    {
        // Given ConvNeXt-Tiny exported at opset 11 (written-out LayerNorm and GELU) and 17 (LayerNormalization)
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ExportCase.Create("convnext-tiny");
        var files = new[] { (11, false), (17, true) }.Select(c =>
        {
            var path = Path.Combine(temp.Path, $"convnext-{c.Item1}.onnx");
            OnnxExport.Save(model, path, new OnnxExportOptions(c.Item1, c.Item2));
            return path;
        }).ToArray();

        // When Python's onnx checks each file and infers every shape
        var result = Python.Run("""
            import sys, onnx
            for path in sys.argv[1:]:
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
                out = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in inferred.graph.output}
                print(model.opset_import[0].version, out)
            """, files);

        // Then both pass with outputs batch x 3
        Assert.True(result.ExitCode == 0, result.Errors);
        output.WriteLine(result.Output);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["11 {'logits': ['batch', 3], 'probabilities': ['batch', 3]}", "17 {'logits': ['batch', 3], 'probabilities': ['batch', 3]}"], lines);
    }
}
