using Holdout.Explaining;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Explaining;

/// <summary>
/// Grad-CAM must point at the evidence: a simple CNN (32 px) trained on noise images whose class is decided only by
/// where a bright square lies (class 0 top-left, class 1 bottom-right) must be explained by heat in that corner.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class GradCamLocalisationTests : IDisposable
{
    private const int Size = 32;
    private readonly ITestOutputHelper _output;
    private readonly DisposeScope _scope;

    public GradCamLocalisationTests(ITestOutputHelper output)
    {
        NativeRuntime.EnsureInitialized();
        _output = output;
        _scope = NewDisposeScope();
    }

    public void Dispose() => _scope.Dispose();

    /// <summary>Noise images, each with one bright 8 x 8 square a few pixels from its class's corner.</summary>
    private static (Tensor Images, Tensor Labels) Data(int count, int seed)
    {
        var generator = new Generator((ulong)seed);
        var random = new Random(seed);
        var images = randn([count, 3, Size, Size], generator: generator);
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            var offset = random.Next(1, 5);
            var start = labels[i] == 0 ? offset : Size - 8 - offset;
            images[i, .., start..(start + 8), start..(start + 8)] = tensor(3f);
        }
        return (images, tensor(labels));
    }

    [Fact]
    public void Should_put_the_heat_in_the_corner_whose_square_decides_the_class()
    {
        // Given a simple CNN trained briefly (Adam, 6 epochs of 256 images) to tell where the square is
        torch.manual_seed(5);
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["top-left", "bottom-right"], Size, ModelOptions.NoWeights, Seed: 5));
        var (train, trainLabels) = Data(256, seed: 1);
        using (var optimizer = optim.Adam(model.parameters(), lr: 1e-3))
        {
            model.train();
            for (var epoch = 0; epoch < 6; epoch++)
            {
                var order = randperm(256, generator: new Generator((ulong)epoch));
                for (var start = 0; start < 256; start += 32)
                {
                    using var step = NewDisposeScope();
                    var batch = order[start..(start + 32)];
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(model.forward(train[batch]), trainLabels[batch]).backward();
                    optimizer.step();
                }
            }
        }

        // When Grad-CAM explains the predicted class of 40 new images
        var (validation, labels) = Data(40, seed: 2);
        var explained = GradCam.Explain(model, validation).Explanations;
        var truth = labels.data<long>().ToArray();

        // Then the model learnt the task, and for most images the peak and most of the mass lie in the class's corner quadrant
        var correct = explained.Where((e, i) => e.PredictedClass == truth[i]).Count();
        var shares = explained.Select((e, i) => truth[i] == 0 ? e.Heatmap.Quadrants.TopLeft : e.Heatmap.Quadrants.BottomRight).ToList();
        var peaks = explained.Where((e, i) => truth[i] == 0 ? e.Heatmap.Peak is { X: < 0.5, Y: < 0.5 } : e.Heatmap.Peak is { X: > 0.5, Y: > 0.5 }).Count();
        _output.WriteLine($"accuracy {correct}/40, peaks in the class's corner {peaks}/40, mean share there {shares.Average():0.000}");
        Assert.True(correct >= 36, $"the model classified only {correct}/40 validation images correctly");
        Assert.True(peaks >= 32, $"only {peaks}/40 heatmaps peak in the corner whose square decides the class");
        Assert.True(shares.Average() > 0.5, $"the class's corner holds only {shares.Average():0.000} of the heat on average");
    }
}
