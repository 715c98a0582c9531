using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Xunit.Abstractions;

namespace Holdout.Tests.Models.Onnx;

/// <summary>
/// The export of EfficientNet-B0 and MobileNetV3-Large beyond the shared ONNX Runtime parity cases (<see cref="ExportCase"/>):
/// every opset, the graph's structure, and ONNX's own checker.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class MobileOnnxExportTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("efficientnet-b0", OnnxExport.MinimumOpset)]
    [InlineData("efficientnet-b0", OnnxExport.MaximumOpset)]
    [InlineData("mobilenet-v3-large", OnnxExport.MinimumOpset)]
    [InlineData("mobilenet-v3-large", OnnxExport.MaximumOpset)]
    public void Should_give_the_same_outputs_at_the_oldest_and_newest_opset(string name, int opset)
    {
        // Given the model exported with its preprocessing at the default opset (checked against Holdout by OnnxExportTests) and at another
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ExportCase.Create(name);
        var reference = Path.Combine(temp.Path, "default.onnx");
        var other = Path.Combine(temp.Path, $"opset{opset}.onnx");
        OnnxExport.Save(model, reference, new OnnxExportOptions(WithPreprocessing: true));
        OnnxExport.Save(model, other, new OnnxExportOptions(opset, WithPreprocessing: true));
        var pixels = OnnxExportTests.RenderPixels(SampleBeans.Take(4), model.Spec.Preprocessing);

        // When ONNX Runtime runs both; Then they agree and the file declares the requested opset
        var expected = OnnxRuntimeOutputs.Run(reference, pixels, 4, 64, 64, 3);
        var actual = OnnxRuntimeOutputs.Run(other, pixels, 4, 64, 64, 3);
        var difference = OnnxExportTests.MaxDifference(expected.Logits, actual.Logits);
        output.WriteLine($"{name}: opset {opset} vs {OnnxExport.DefaultOpset}: max abs logit difference {difference:E2}");
        Assert.True(difference <= 1e-5);
        Assert.Equal(opset, OnnxModelInfo.Read(other).Opset);
    }

    [Theory]
    [InlineData("efficientnet-b0", 81, 16, 0)]
    [InlineData("mobilenet-v3-large", 62, 8, 8 + 1 + 9 * 2 + 1)] // SE scales; Hardswish: stem, expand and depthwise of features.7..15, last conv
    public void Should_fold_every_batch_norm_into_one_conv_per_convolution(string name, int convolutions, int squeezeExcitations, int hardSigmoids)
    {
        // Given the model exported
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ExportCase.Create(name);
        var path = Path.Combine(temp.Path, "model.onnx");
        OnnxExport.Save(model, path);

        // When the graph is read back
        var ops = OnnxModel.Read(path).Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());

        // Then there is one Conv per torchvision convolution (squeeze-and-excitation's fc1 and fc2 included), no
        // BatchNormalization, one GlobalAveragePool per squeeze-and-excitation plus the head's, and HardSigmoid for
        // MobileNetV3's scale activations and Hardswish layers (x·HardSigmoid(x), valid from opset 11)
        Assert.Equal(convolutions, ops["Conv"]);
        Assert.False(ops.ContainsKey("BatchNormalization"));
        Assert.Equal(squeezeExcitations + 1, ops["GlobalAveragePool"]);
        Assert.Equal(hardSigmoids, ops.GetValueOrDefault("HardSigmoid"));
        Assert.Equal(1, ops["Gemm"]);
    }

    [PythonModuleFact("onnx")]
    public void Should_pass_the_onnx_checker_with_full_shape_inference()
    {
        // Given both models exported at the oldest and the default opset, one of each with its preprocessing inside
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var files = new List<string>();
        foreach (var name in new[] { "efficientnet-b0", "mobilenet-v3-large" })
        {
            using var model = ExportCase.Create(name);
            foreach (var (opset, withPreprocessing) in new[] { (OnnxExport.MinimumOpset, false), (OnnxExport.DefaultOpset, true) })
            {
                var path = Path.Combine(temp.Path, $"{name}-{opset}.onnx");
                OnnxExport.Save(model, path, new OnnxExportOptions(opset, withPreprocessing));
                files.Add(path);
            }
        }

        // When Python's onnx checks each file and infers every shape
        var result = Python.Run("""
            import sys, onnx
            for path in sys.argv[1:]:
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
                out = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in inferred.graph.output}
                print(path, model.opset_import[0].version, out)
            """, [.. files]);

        // Then every file passes, with the requested opset and outputs batch x 3
        Assert.True(result.ExitCode == 0, result.Errors);
        output.WriteLine(result.Output);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.All(lines, line => Assert.EndsWith(" {'logits': ['batch', 3], 'probabilities': ['batch', 3]}", line, StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(line => line.Contains($".onnx {OnnxExport.MinimumOpset} ", StringComparison.Ordinal)));
    }
}
