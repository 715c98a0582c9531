using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Whether libtorch's channels-last kernels compute what its default-layout kernels compute: every architecture's
/// features at several input sizes, in each precision, both layouts, with the model in evaluation and in training mode.
/// </summary>
internal static class ChannelsLastParity
{
    public static int Run(string[] args)
    {
        NativeRuntime.EnsureInitialized();
        var archs = args.Length > 0 ? args[0].Split(',').Select(Enum.Parse<Architecture>).ToArray() : [Architecture.ResNet18, Architecture.ResNet34, Architecture.ResNet50];
        var sizes = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [32, 64, 96, 224];
        foreach (var arch in archs)
        foreach (var size in sizes)
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float32 })
        {
            using var model = ModelFactory.Create(new ModelOptions(arch, ["a", "b", "c"], size, ModelOptions.NoWeights));
            model.eval();
            using var g = no_grad();
            manual_seed(1);
            var x = randn(4, 3, size, size).to(dtype);
            var a = model.Backbone.forward(x.contiguous()).to(ScalarType.Float32);
            var b = model.Backbone.forward(ImageClassifier.ChannelsLast(x)).to(ScalarType.Float32);
            var scale = a.abs().max().item<float>();
            Console.WriteLine($"{arch} {size} px {dtype}: max |a| {scale:0.000}, max |a-b| / max |a| {(a - b).abs().max().item<float>() / scale:E2}");
        }
        return 0;
    }
}
