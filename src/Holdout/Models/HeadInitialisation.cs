using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>
/// How a new head starts (Karpathy's "verify loss @ init"): the output layer's weights are zero and its bias is the
/// log of the class priors, so the first predictions are the class frequencies and the first loss is their entropy
/// (ln C for balanced classes) instead of a confident random guess.
/// </summary>
internal static class HeadInitialisation
{
    /// <summary>The smallest prior used, so a class missing from the training split gets a finite bias.</summary>
    public const double MinimumPrior = 1e-4;

    /// <summary>Zeroes <paramref name="output"/>'s weights and sets its bias to log(prior).</summary>
    /// <param name="output">The layer that produces the logits.</param>
    /// <param name="priors">One prior per class (normalised here), or null for uniform (bias 0).</param>
    public static void Apply(Linear output, IReadOnlyList<double>? priors)
    {
        var classes = (int)output.weight.shape[0];
        if (priors is not null && priors.Count != classes)
            throw new HoldoutException($"{priors.Count} class priors were given for a head with {classes} outputs. Expected one prior per class.");
        var total = priors?.Sum() ?? 0;
        var bias = priors is null || !(total > 0)
            ? new float[classes]
            : [.. priors.Select(p => (float)Math.Log(Math.Max(p / total, MinimumPrior)))];
        using var noGrad = no_grad();
        output.weight.zero_();
        output.bias?.copy_(tensor(bias));
    }
}
