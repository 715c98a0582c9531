using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>
/// The C# twin of <c>Fixtures/make_fixtures.py</c>: every tensor's values derive from its name and element index
/// through an exact integer hash, so Holdout and PyTorch hold the same weights without a weights file.
/// </summary>
internal static class FormulaWeights
{
    public static int NameHash(string name)
    {
        long sum = 0;
        for (int k = 0; k < name.Length; k++) sum += (k + 1) * (long)name[k];
        return (int)(sum % 1009);
    }

    public static double[] Uniform(long count, long salt)
    {
        var result = new double[count];
        for (long i = 0; i < count; i++)
        {
            ulong bits = ((ulong)i * 2654435761UL + (ulong)salt * 40503UL) & 0xFFFFFFFFUL;
            bits ^= bits >> 15;
            bits = (bits * 2246822519UL) & 0xFFFFFFFFUL;
            bits ^= bits >> 13;
            result[i] = bits / 4294967296.0 - 0.5;
        }
        return result;
    }

    public static float[] Values(string name, long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var values = Uniform(count, NameHash(name));
        Func<double, double> map;
        if (name.EndsWith("running_var", StringComparison.Ordinal)) map = b => 1.0 + b;
        else if (name.EndsWith("running_mean", StringComparison.Ordinal)) map = b => 0.2 * b;
        else if (shape.Length == 1 && name.EndsWith("weight", StringComparison.Ordinal)) map = b => 0.5 + 0.2 * b;
        else if (shape.Length == 1) map = b => 0.1 * b;
        else
        {
            var fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var scale = Math.Sqrt(24.0 / fanIn);
            map = b => b * scale;
        }
        return values.Select(v => (float)map(v)).ToArray();
    }

    public static Tensor Input(params long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        return tensor(Uniform(count, 7).Select(v => (float)(3.0 * v)).ToArray(), shape);
    }

    /// <summary>Fills every parameter and buffer of <paramref name="module"/> (except batch counters) from the formula.</summary>
    public static void Fill(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in module.state_dict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            using var values = tensor(Values(name, t.shape), t.shape);
            t.copy_(values);
        }
    }
}
