using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// Which inference kernels a frozen ResNet-18 should run on this CPU: a functional ResNet-18 forward pass (random
/// weights, 224 px, batch 32) with BatchNorm as its own layer or folded into the convolutions, in float32 or
/// bfloat16, in the default (NCHW) or channels-last memory layout.
/// </summary>
internal static class KernelProbe
{
    private sealed record Conv(Tensor Weight, Tensor? Bias, Tensor Scale, Tensor Shift, long Stride, long Padding);

    public static int Run(string[] args)
    {
        NativeRuntime.EnsureInitialized();
        Console.WriteLine($"threads: libtorch {get_num_threads()}, cores {Environment.ProcessorCount}");
        manual_seed(0);
        var convs = new List<Conv>();
        Conv Make(long cin, long cout, long k, long stride) =>
            new(randn(cout, cin, k, k) * Math.Sqrt(2.0 / (cin * k * k)), null, rand(cout) + 0.5, randn(cout) * 0.1, stride, k / 2);
        var stem = Make(3, 64, 7, 2);
        var blocks = new List<(Conv A, Conv B, Conv? Down)>();
        long channels = 64;
        foreach (var (width, stride) in new[] { (64L, 1L), (128L, 2L), (256L, 2L), (512L, 2L) })
        {
            for (var i = 0; i < 2; i++)
            {
                var s = i == 0 ? stride : 1;
                blocks.Add((Make(channels, width, 3, s), Make(width, width, 3, 1), s != 1 || channels != width ? Make(channels, width, 1, s) : null));
                channels = width;
            }
        }
        using var input = randn(32, 3, 224, 224);
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            foreach (var channelsLast in new[] { false, true })
            {
                foreach (var folded in new[] { false, true })
                {
                    Conv Prepare(Conv c)
                    {
                        var w = folded ? c.Weight * c.Scale.view(-1, 1, 1, 1) : c.Weight;
                        w = w.to(dtype);
                        if (channelsLast) w = ImageClassifier.ChannelsLast(w);
                        return c with { Weight = w, Bias = folded ? c.Shift.to(dtype) : null };
                    }
                    var pStem = Prepare(stem);
                    var pBlocks = blocks.Select(b => (A: Prepare(b.A), B: Prepare(b.B), Down: b.Down is null ? null : Prepare(b.Down))).ToList();
                    Tensor Apply(Conv c, Tensor x, bool relu)
                    {
                        var y = nn.functional.conv2d(x, c.Weight, c.Bias, [c.Stride, c.Stride], [c.Padding, c.Padding]);
                        if (!folded) y = nn.functional.batch_norm(y, zeros(y.shape[1]), ones(y.shape[1]), c.Scale, c.Shift, training: false);
                        return relu ? y.relu_() : y;
                    }
                    Tensor Forward()
                    {
                        var x = input.to(dtype);
                        if (channelsLast) x = ImageClassifier.ChannelsLast(x);
                        x = Apply(pStem, x, true);
                        x = nn.functional.max_pool2d(x, 3, 2, 1);
                        foreach (var (a, b, down) in pBlocks)
                        {
                            var y = Apply(b, Apply(a, x, true), false);
                            x = y.add_(down is null ? x : Apply(down, x, false)).relu_();
                        }
                        return x.mean([2L, 3L]).to(ScalarType.Float32);
                    }
                    BackboneProbe.Time($"{dtype,-9} {(channelsLast ? "channels-last" : "NCHW"),-13} {(folded ? "BN folded" : "BN layer"),-9}", () =>
                    {
                        using var g = inference_mode();
                        return Forward();
                    });
                }
            }
        }
        return 0;
    }
}
