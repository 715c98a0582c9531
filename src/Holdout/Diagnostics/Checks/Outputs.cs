using System.Globalization;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>Reading a model's outputs and a loss the way the checks need: what the outputs are, and a loss that may fail.</summary>
internal static class Outputs
{
    private static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    /// <summary>Whether outputs are logits, softmax rows or sigmoid probabilities, with the evidence.</summary>
    public static (OutputKind Kind, string Evidence) Classify(Tensor outputs)
    {
        var flat = outputs.to_type(ScalarType.Float64);
        double min = flat.min().item<double>(), max = flat.max().item<double>();
        var rowSums = flat.sum(1);
        double sumMin = rowSums.min().item<double>(), sumMax = rowSums.max().item<double>();
        var inUnit = min >= -1e-6 && max <= 1 + 1e-6;
        var columns = outputs.shape[1];
        if (inUnit && columns > 1 && Math.Abs(sumMin - 1) < 1e-3 && Math.Abs(sumMax - 1) < 1e-3)
        {
            return (OutputKind.Softmax, string.Create(Inv, $"model outputs ({columns} per image) lie in [{min:0.###}, {max:0.###}] and every row sums to 1 (from {sumMin:0.####} to {sumMax:0.####}): they are already probabilities (a softmax ends the model)"));
        }
        if (max - min < 1e-9 && Math.Abs(max) < 1e-9)
        {
            // A head that starts at uniform priors (zero weights, zero bias) outputs zeros: logits, not probabilities.
            return (OutputKind.Logits, string.Create(Inv, $"model outputs ({columns} per image) are all 0, as from a head that starts at uniform class priors: raw scores (logits)"));
        }
        if (inUnit)
        {
            return (OutputKind.Sigmoid, string.Create(Inv, $"model outputs ({columns} per image) all lie in [{min:0.###}, {max:0.###}] but rows sum to {sumMin:0.###}..{sumMax:0.###}: independent probabilities (a sigmoid ends the model)"));
        }
        return (OutputKind.Logits, string.Create(Inv, $"model outputs ({columns} per image) range over [{min:0.###}, {max:0.###}]: raw scores (logits)"));
    }

    /// <summary>Class probabilities from outputs of any kind (softmax of logits, the rows themselves, [1-p, p] for one output).</summary>
    public static Tensor AsProbabilities(Tensor outputs)
    {
        var (kind, _) = Classify(outputs);
        if (outputs.shape[1] == 1)
        {
            var p = kind == OutputKind.Logits ? sigmoid(outputs) : outputs;
            return cat([1 - p, p], 1);
        }
        return kind == OutputKind.Logits ? nn.functional.softmax(outputs, 1) : outputs;
    }

    /// <summary>The loss on (outputs, labels), or null when the loss fails on them.</summary>
    public static double? TryLoss(Func<Tensor, Tensor, Tensor> loss, Tensor outputs, Tensor labels)
    {
        try
        {
            using var scope = NewDisposeScope();
            var value = loss(outputs, labels).to_type(ScalarType.Float64);
            return value.numel() == 1 ? value.item<double>() : value.mean().item<double>();
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>" (e.g. 1, 2, 3)" for a list of sample indices, or "" when empty.</summary>
    public static string Examples(IReadOnlyList<int> indices) =>
        indices.Count == 0 ? "" : $" (e.g. {string.Join(", ", indices.Take(5).Select(i => i.ToString(Inv)))})";
}
