using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class PretrainedResNet18Tests(ITestOutputHelper output)
{
    private static readonly string[] Classes = ["angular_leaf_spot", "bean_rust", "healthy"];

    [Fact]
    public void Should_read_the_block_layout_from_the_graph()
    {
        // Given the bundled CNTK ResNet-18 ONNX file
        // When the importer follows its graph
        var import = PretrainedResNet18.Import;

        // Then it finds four stages of basic blocks, 2-2-2-3, widths 64..512, CNTK's end-trimmed padding, and all 110 initialisers
        Assert.Equal([2, 2, 2, 3], import.Layout.Blocks);
        Assert.Equal([64, 128, 256, 512], import.Layout.Widths);
        Assert.False(import.Layout.Bottleneck);
        Assert.True(import.Layout.TrimEndPadding);
        Assert.Equal(22 + 22 * 4, import.Weights.Count);
        Assert.Equal(64, import.Sha256.Length);
    }

    [Fact]
    public void Should_give_the_features_onnx_runtime_gives_on_real_images()
    {
        // Given five real bean photos from the repository's samples/beans (always present: the test always runs),
        // prepared once as the bundled model expects (224x224, BGR, 0..255, minus means)
        NativeRuntime.EnsureInitialized();
        var images = SampleBeans.Take(5).Select(s => s.Path).ToList();
        Assert.Equal(5, images.Count);
        Assert.Equal(3, images.Select(i => Path.GetFileName(Path.GetDirectoryName(i))).Distinct().Count());
        using var model = PretrainedResNet18.Create(Classes);
        model.eval();
        Assert.Equal("resnet18-cntk (2-2-2-3)", model.Spec.Architecture);
        using var session = new InferenceSession(PretrainedCatalog.ResNet18OnnxPath);

        float worst = 0;
        foreach (var image in images)
        {
            using var scope = NewDisposeScope();
            var pixels = Prepare(image, model.Spec.Preprocessing);

            // When ONNX Runtime runs the original graph and Holdout runs the imported module on the same tensor
            var input = new DenseTensor<float>(pixels, [1, 3, 224, 224]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("Input247", input)]);
            var expected = results.Single(r => r.Name == "Pooling395_Output_0").AsEnumerable<float>().ToArray();
            var actual = model.Features(tensor(pixels, [1, 3, 224, 224])).data<float>().ToArray();

            // Then the 512-d features agree to well under 1e-3
            Assert.Equal(512, expected.Length);
            Assert.Equal(512, actual.Length);
            var difference = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            output.WriteLine($"{Path.GetFileName(image)}: max |feature| {expected.Max(Math.Abs):F3}, max abs difference {difference:E2}");
            worst = Math.Max(worst, difference);
        }
        Assert.True(worst < 1e-3, $"max abs difference {worst}");
    }

    [Fact]
    public void Should_run_at_odd_input_sizes()
    {
        // Given the imported backbone built for 225x225 input (odd: CNTK's end-trimmed pads drop the last window)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = PretrainedResNet18.Create(Classes, size: 225);
        model.eval();

        // When an odd-sized batch goes through it
        var logits = model.forward(FormulaWeights.Input(2, 3, 225, 225) * 40);

        // Then every stage fits (112 -> 56 -> 28 -> 14 -> 7, the sizes ONNX's pads give) and the logits are finite
        Assert.Equal([2L, 3L], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    /// <summary>Decodes, stretches to the input size and lays out channels as the spec says (CHW, float).</summary>
    internal static float[] Prepare(string path, Preprocessing preprocessing)
    {
        var size = preprocessing.InputSize;
        using var decoded = SKBitmap.Decode(path);
        using var resized = decoded.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
        var result = new float[3 * size * size];
        var scale = preprocessing.Scale == ValueScale.Byte ? 1f : 1f / 255f;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                var pixel = resized.GetPixel(x, y);
                float[] rgb = [pixel.Red * scale, pixel.Green * scale, pixel.Blue * scale];
                for (int c = 0; c < 3; c++)
                {
                    var source = preprocessing.ColorOrder == ColorOrder.Bgr ? 2 - c : c;
                    result[(c * size + y) * size + x] = (rgb[source] - preprocessing.Mean[c]) / preprocessing.Std[c];
                }
            }
        }
        return result;
    }
}
