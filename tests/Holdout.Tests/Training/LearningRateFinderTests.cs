using Holdout.Runs;
using Holdout.Training;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class LearningRateFinderTests
{
    [Fact]
    public void Should_suggest_a_sensible_learning_rate_and_restore_the_weights()
    {
        // Given a small model on separable blobs
        using var train = TinyData.Source(256, seed: 1, shuffle: true);
        using var model = TinyData.Model(2);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();

        // When the range test runs
        var result = LearningRateFinder.Run(model, train, [.. model.parameters()], steps: 80);

        // Then the curve rises at the end, the suggestion lies in the sane range, and the weights are unchanged
        Assert.True(result.Points.Count > 20);
        Assert.InRange(result.Suggested, 1e-5, 1.0);
        Assert.All(model.parameters().Zip(before), pair => Assert.Equal(0f, (pair.First - pair.Second).abs().max().item<float>()));
        foreach (var t in before) t.Dispose();
    }
}
