using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// Dropout whose mask is drawn for the whole batch of a data-parallel job, so that a rank holding a slice of the
/// batch drops exactly what one process training the whole batch drops: in training mode the mask of every sample of
/// the job's batch is drawn from the engine's generator (each rank draws the same numbers) and this rank keeps its
/// rows (<see cref="UseSlice"/>). With one process the slice is the batch. Kept units are scaled by 1/(1 - p), as
/// <c>torch.nn.Dropout</c> does; in evaluation mode it is the identity.
/// </summary>
internal sealed class BatchDropout : Module<Tensor, Tensor>
{
    private static readonly AmbientSetting<BatchSlice?> Slice = new();

    /// <summary>Creates the layer (the engine must be loaded: <see cref="Native.NativeRuntime.EnsureInitialized"/>, as the model factory does).</summary>
    public BatchDropout(double probability) : base("BatchDropout")
    {
        if (probability is < 0 or >= 1 || double.IsNaN(probability))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Expected a probability in [0, 1).");
        Probability = probability;
    }

    /// <summary>The probability of dropping a unit.</summary>
    public double Probability { get; }

    /// <summary>
    /// Until disposed, the batches going through the model are rows [<paramref name="start"/>, start + their count) of
    /// a batch of <paramref name="total"/> samples (the trainer sets it around a data-parallel step).
    /// </summary>
    public static IDisposable UseSlice(int start, int total) => Slice.Use(new BatchSlice(start, total));

    public override Tensor forward(Tensor input)
    {
        if (!training || Probability == 0) return input.alias();
        using var scope = NewDisposeScope();
        long count = input.shape[0];
        var (start, total) = Slice.Value is { } slice ? (slice.Start, slice.Total) : (0L, count);
        long[] shape = [total, .. input.shape.Skip(1)];
        var keep = rand(shape, ScalarType.Float32, input.device).narrow(0, start, count).ge(Probability);
        return (input * keep.to(input.dtype) * (1.0 / (1.0 - Probability))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A keep mask (1 kept, 0 dropped) of this rank's <paramref name="count"/> rows, each kept with probability
    /// <paramref name="keep"/>, drawn for the whole job's batch as <see cref="forward"/> draws its masks.
    /// </summary>
    internal static Tensor RowMask(long count, double keep, Device device)
    {
        var (start, total) = Slice.Value is { } slice ? (slice.Start, slice.Total) : (0L, count);
        using var drawn = rand([total], ScalarType.Float32, device);
        return drawn.narrow(0, start, count).lt(keep).to(ScalarType.Float32);
    }

    private sealed record BatchSlice(long Start, long Total);
}
