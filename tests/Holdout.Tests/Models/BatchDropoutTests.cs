using Holdout.Models;
using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>The dropout whose mask is drawn for the job's whole batch, so a rank's slice drops what one process drops.</summary>
public sealed class BatchDropoutTests
{
    public BatchDropoutTests() => NativeRuntime.EnsureInitialized();

    [Fact]
    public void Should_drop_a_slice_exactly_as_the_whole_batch_drops_its_rows()
    {
        // Given a batch of 6 and the same seed
        using var dropout = new BatchDropout(0.5);
        dropout.train();
        using var input = ones(6, 40);
        manual_seed(11);
        using var whole = dropout.forward(input);

        // When a rank holding rows 2..4 of it draws with the same seed
        manual_seed(11);
        Tensor slice;
        using (BatchDropout.UseSlice(2, 6)) slice = dropout.forward(input.narrow(0, 2, 3));

        // Then its rows are exactly the whole batch's rows 2..4
        Assert.True(slice.equal(whole.narrow(0, 2, 3)).all().item<bool>());
        slice.Dispose();
    }

    [Fact]
    public void Should_drop_about_p_and_scale_the_rest_in_training_and_pass_through_in_evaluation()
    {
        using var dropout = new BatchDropout(0.25);
        using var input = ones(200, 50);
        dropout.train();
        manual_seed(3);
        using var trained = dropout.forward(input);
        var values = trained.data<float>().ToArray();
        var dropped = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(dropped, 0.23, 0.27);
        Assert.All(values.Where(v => v != 0), v => Assert.Equal(1 / 0.75f, v, 5));

        dropout.eval();
        using var evaluated = dropout.forward(input);
        Assert.True(evaluated.equal(input).all().item<bool>());
    }
}
