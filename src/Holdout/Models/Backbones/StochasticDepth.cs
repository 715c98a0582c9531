using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>
/// torchvision's row-mode stochastic depth (<c>torchvision.ops.StochasticDepth(p, "row")</c>): in training mode each
/// sample's residual branch is dropped with probability p and kept ones are scaled by 1/(1 - p); in evaluation mode it
/// is the identity. Like <see cref="BatchDropout"/>, the mask is drawn for the whole batch of a data-parallel job and
/// this rank keeps its rows, so N processes drop what one process would.
/// </summary>
internal sealed class StochasticDepth : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="probability">The probability of dropping a sample's branch, in [0, 1).</param>
    public StochasticDepth(double probability) : base("StochasticDepth")
    {
        if (probability is < 0 or >= 1 || double.IsNaN(probability))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Expected a probability in [0, 1).");
        Probability = probability;
    }

    /// <summary>The probability of dropping a sample's branch.</summary>
    public double Probability { get; }

    public override Tensor forward(Tensor input)
    {
        if (!training || Probability == 0) return input.alias();
        using var scope = NewDisposeScope();
        var keep = BatchDropout.RowMask(input.shape[0], 1 - Probability, input.device);
        long[] shape = [input.shape[0], .. Enumerable.Repeat(1L, (int)input.dim() - 1)];
        return (input * keep.view(shape).to(input.dtype) * (1.0 / (1.0 - Probability))).MoveToOuterDisposeScope();
    }
}
