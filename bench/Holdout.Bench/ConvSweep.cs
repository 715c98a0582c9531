using Holdout.Models;
using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Bench;

/// <summary>
/// bfloat16 convolutions of ResNet-18/34's shapes on channels-last input against the default layout, forward and
/// backward, over batch sizes and feature-map sizes (libtorch 2.10 dies with SIGFPE on some channels-last 1x1
/// convolutions with 1024 outputs; this checks the shapes the basic-block ResNets use).
/// </summary>
internal static class ConvSweep
{
    public static int Run(string[] args)
    {
        NativeRuntime.EnsureInitialized();
        var shapes = new (long In, long Out, long Kernel, long Stride)[]
        {
            (3, 64, 7, 2), (64, 64, 3, 1), (64, 128, 3, 2), (64, 128, 1, 1), (128, 128, 3, 1), (128, 256, 3, 2), (128, 256, 1, 1),
            (256, 256, 3, 1), (256, 512, 3, 2), (256, 512, 1, 1), (512, 512, 3, 1),
        };
        var batches = new long[] { 1, 2, 3, 5, 8, 13, 32 };
        double worst = 0;
        int cases = 0;
        foreach (var (cin, cout, k, s) in shapes)
        {
            foreach (var n in batches)
            {
                for (long size = 1; size <= 30; size++)
                {
                    if (n * size * size > 8192 || (cin == 3 && size < 8)) continue;
                    using var scope = NewDisposeScope();
                    var x = randn(n, cin, size, size).to(ScalarType.BFloat16);
                    var w = (randn(cout, cin, k, k) * 0.05).to(ScalarType.BFloat16).to(ScalarType.Float32).requires_grad_(true);
                    var xr = x.to(ScalarType.Float32).requires_grad_(true);
                    var xa = x.clone().requires_grad_(true);
                    var xb = ImageClassifier.ChannelsLast(x).requires_grad_(true);
                    var yr = nn.functional.conv2d(xr, w, null, [s, s], [k / 2, k / 2]);
                    var ya = nn.functional.conv2d(xa, w.to(ScalarType.BFloat16), null, [s, s], [k / 2, k / 2]);
                    var yb = nn.functional.conv2d(xb, w.to(ScalarType.BFloat16), null, [s, s], [k / 2, k / 2]);
                    var g = randn_like(yr).to(ScalarType.BFloat16);
                    var (gr, gwr) = Grads(yr, g.to(ScalarType.Float32), xr, w);
                    var (ga, gwa) = Grads(ya, g, xa, w);
                    var (gb, gwb) = Grads(yb, g, xb, w);
                    // Error of each bfloat16 layout against float32; channels-last must be no worse than twice the default's (+ bf16 rounding).
                    double ErrA(Tensor r, Tensor t) => Relative(r, t);
                    var (fa, fb) = (ErrA(yr, ya), ErrA(yr, yb));
                    var (ia, ib) = (ErrA(gr, ga), ErrA(gr, gb));
                    var (wa, wb) = (ErrA(gwr, gwa), ErrA(gwr, gwb));
                    var excess = Math.Max(fb - 2 * fa, Math.Max(ib - 2 * ia, wb - 2 * wa));
                    worst = Math.Max(worst, excess);
                    cases++;
                    if (excess > 0.02 || double.IsNaN(excess))
                        Console.WriteLine($"MISMATCH [{n},{cin},{size},{size}] -> {cout} k{k} s{s}: error vs fp32 default/CL forward {fa:E1}/{fb:E1}, input grad {ia:E1}/{ib:E1}, weight grad {wa:E1}/{wb:E1}");
                }
            }
            Console.WriteLine($"{cin}->{cout} k{k} s{s}: done, {cases} cases so far, largest excess error of channels-last {worst:E2}");
        }
        return 0;
    }

    private static (Tensor Input, Tensor Weight) Grads(Tensor y, Tensor g, Tensor x, Tensor w)
    {
        var grads = autograd.grad([y], [x, w], [g]);
        return (grads[0].to(ScalarType.Float32), grads[1].to(ScalarType.Float32));
    }

    private static double Relative(Tensor a, Tensor b)
    {
        var fa = a.to(ScalarType.Float32);
        var scale = Math.Max(fa.abs().max().item<float>(), 1e-6f);
        return (fa - b.to(ScalarType.Float32)).abs().max().item<float>() / scale;
    }
}
