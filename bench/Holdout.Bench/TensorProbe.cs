using System.Diagnostics;
using Holdout.Native;
using TorchSharp;

namespace Holdout.Bench;

/// <summary>Cost of turning a batch array into a tensor on the consumer thread.</summary>
internal static class TensorProbe
{
    public static int Run()
    {
        NativeRuntime.EnsureInitialized();
        var data = new float[32 * 3 * 224 * 224];
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++)
            {
                using var t = torch.tensor(data, [32, 3, 224, 224]);
            }
            Console.WriteLine($"torch.tensor(float[32x3x224x224]): {clock.Elapsed.TotalMilliseconds / 20:0.00} ms");
        }
        return 0;
    }
}
