using Holdout.Diagnostics.Checks;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

[Collection(NativeCollection.Name)]
public sealed class HeldOutProbeTests
{
    public HeldOutProbeTests() => NativeRuntime.EnsureInitialized();

    private static (Tensor Features, long[] Labels) Data(int n, int d, bool signal)
    {
        var generator = new torch.Generator(17);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray();
        var x = randn(n, d, dtype: ScalarType.Float64, generator: generator);
        if (signal)
        {
            var centres = randn(3, d, dtype: ScalarType.Float64, generator: generator) * 0.5;
            x += centres.index_select(0, tensor(labels));
        }
        return (x, labels);
    }

    [Fact]
    public void Should_keep_every_inner_product_when_it_moves_wide_features_into_their_row_space()
    {
        // Given 40 samples of 300 features
        using var scope = NewDisposeScope();
        var (x, labels) = Data(40, 300, signal: true);

        // When they are moved into the 40-dimensional space their rows span
        var reduced = HeldOutProbe.RowSpace(x);

        // Then every inner product between samples is kept (a linear model with L2 sees the same problem), and the
        // probe fitted to 30 of them predicts the other 10 the same way in both
        Assert.Equal([40L, 40L], reduced.shape);
        Assert.True(reduced.matmul(reduced.t()).allclose(x.matmul(x.t()), rtol: 1e-8, atol: 1e-6));
        var fit = arange(30);
        var held = arange(30, 40);
        using var wide = HeldOutProbe.Fit(x.index_select(0, fit), labels[..30], 3);
        using var narrow = HeldOutProbe.Fit(reduced.index_select(0, fit), labels[..30], 3);
        Assert.Equal(HeldOutProbe.Predict(wide, x.index_select(0, held)), HeldOutProbe.Predict(narrow, reduced.index_select(0, held)));
    }

    [Fact]
    public void Should_score_real_labels_well_above_shuffled_ones_only_when_the_features_carry_them()
    {
        // Given 90 samples whose features carry their class, and the same with noise features
        using var scope = NewDisposeScope();
        var (signal, labels) = Data(90, 200, signal: true);
        var (noise, _) = Data(90, 200, signal: false);
        var shuffled = labels.ToArray();
        new Random(3).Shuffle(shuffled);

        // When the probe is scored on held-out folds
        var real = HeldOutProbe.HeldOutBalancedAccuracy(signal, labels, 3, 4, 42);
        var permuted = HeldOutProbe.HeldOutBalancedAccuracy(signal, shuffled, 3, 4, 42);
        var onNoise = HeldOutProbe.HeldOutBalancedAccuracy(noise, labels, 3, 4, 42);

        // Then only real labels on informative features score far above chance (1/3)
        Assert.True(real > 0.8, $"real labels {real}");
        Assert.True(permuted < 0.55, $"shuffled labels {permuted}");
        Assert.True(onNoise < 0.55, $"noise features {onNoise}");
    }
}
