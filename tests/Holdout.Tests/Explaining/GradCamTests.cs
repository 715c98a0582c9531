using Holdout.Explaining;
using Holdout.Models;
using Holdout.Native;
using Holdout.Tests.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Explaining;

/// <summary>
/// Grad-CAM on the pretrained ResNet-18 (64 px, 2 classes; a random linear head so the classes differ): with global
/// average pooling and a plain linear head it must equal the analytical CAM, and it must leave the model as it found it.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class GradCamTests : IDisposable
{
    private readonly ImageClassifier _model;
    private readonly DisposeScope _scope;

    public GradCamTests(PretrainedModelFixture fixture)
    {
        NativeRuntime.EnsureInitialized();
        _model = fixture.Reset();
        _scope = NewDisposeScope();
        var head = _model.LinearHead!;
        var generator = new Generator(7);
        using (no_grad())
        {
            head.weight!.copy_(randn(head.weight.shape, generator: generator) * 0.05);
            head.bias!.copy_(randn(head.bias!.shape, generator: generator) * 0.1);
        }
    }

    public void Dispose() => _scope.Dispose();

    private static Tensor Images(int count, int seed) => randn([count, 3, PretrainedModelFixture.ImageSize, PretrainedModelFixture.ImageSize], generator: new Generator((ulong)seed));

    /// <summary>relu(sum_k W[c,k] A_k) for each image's class c, from the model's own map and head, scaled to a peak of 1.</summary>
    private float[][] AnalyticalCams(Tensor images, IReadOnlyList<int> classes)
    {
        _model.eval();
        using var noGrad = no_grad();
        var map = _model.ExplainedMap(images);
        var weights = _model.LinearHead!.weight!;
        return [.. classes.Select((c, i) =>
        {
            var cam = nn.functional.relu(einsum("k,khw->hw", weights[c], map[i]));
            return (cam / cam.max()).flatten().data<float>().ToArray();
        })];
    }

    [Fact]
    public void Should_equal_the_analytical_cam_of_an_average_pooled_linear_head_for_the_predicted_class()
    {
        // Given a ResNet-18 whose head is global average pooling and one linear layer, and three images
        var images = Images(3, seed: 1);

        // When Grad-CAM explains each image's predicted class
        var explained = GradCam.Explain(_model, images).Explanations;

        // Then each heatmap is relu(sum_k W[c,k] A_k) (the mean gradient of logit c over A_k is W[c,k]/(h*w)), scaled to 1
        _model.eval();
        using (no_grad())
        {
            var predicted = _model.forward(images).argmax(1).data<long>().Select(c => (int)c).ToArray();
            Assert.Equal(predicted, explained.Select(e => e.PredictedClass));
            Assert.Equal(predicted, explained.Select(e => e.ExplainedClass));
        }
        var expected = AnalyticalCams(images, [.. explained.Select(e => e.ExplainedClass)]);
        for (var i = 0; i < explained.Count; i++)
        {
            var heatmap = explained[i].Heatmap;
            Assert.Equal((2, 2), (heatmap.Width, heatmap.Height));
            Assert.False(heatmap.IsEmpty);
            Assert.All(expected[i].Zip(heatmap.Values), pair => Assert.Equal(pair.First, pair.Second, 3e-4f));
            Assert.Equal(1f, explained[i].Probabilities.Sum(), 1e-5f);
        }
    }

    [Fact]
    public void Should_explain_the_classes_asked_for_and_refuse_a_wrong_count_or_an_unknown_class()
    {
        // Given two images and, for each, the class it is not predicted as
        var images = Images(2, seed: 2);
        var predicted = GradCam.Explain(_model, images).Explanations.Select(e => e.PredictedClass).ToArray();
        int[] other = [.. predicted.Select(c => 1 - c)];

        // When Grad-CAM is asked to explain those classes
        var explained = GradCam.Explain(_model, images, other).Explanations;

        // Then it explains them, says what was predicted, and its heatmaps are the analytical CAMs of the asked classes
        Assert.Equal(other, explained.Select(e => e.ExplainedClass));
        Assert.Equal(predicted, explained.Select(e => e.PredictedClass));
        var expected = AnalyticalCams(images, other);
        for (var i = 0; i < 2; i++)
        {
            if (expected[i].All(float.IsNaN)) Assert.True(explained[i].Heatmap.IsEmpty);
            else Assert.All(expected[i].Zip(explained[i].Heatmap.Values), pair => Assert.Equal(pair.First, pair.Second, 3e-4f));
        }

        // And a class list of the wrong length, or a class outside 0..1, is an ArgumentException
        Assert.Throws<ArgumentException>(() => GradCam.Explain(_model, images, [0]));
        Assert.Throws<ArgumentException>(() => GradCam.Explain(_model, images, [0, 2]));
        Assert.Throws<ArgumentException>(() => GradCam.Explain(_model, images, [-1, 0]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_leave_the_models_gradients_and_mode_as_they_were(bool training)
    {
        // Given a model with gradients from a training step's backward pass, in training or evaluation mode
        _model.train();
        var loss = nn.functional.cross_entropy(_model.forward(Images(2, seed: 3)), tensor(new long[] { 0, 1 }));
        loss.backward();
        var before = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad?.clone());
        Assert.Contains(before.Values, g => g is not null);
        _model.train(training);

        // When Grad-CAM explains a batch
        GradCam.Explain(_model, Images(2, seed: 4));

        // Then every parameter's gradient is what it was (none added where there was none), and the mode is back
        foreach (var (name, parameter) in _model.named_parameters())
        {
            var was = before[name];
            if (was is null) Assert.True(parameter.grad is null, $"{name} gained a gradient");
            else Assert.True(parameter.grad is not null && parameter.grad.allclose(was, rtol: 0, atol: 0), $"{name}'s gradient changed");
        }
        Assert.Equal(training, _model.training);
        Assert.All(_model.modules(), m => Assert.Equal(training, m.training));
        _model.zero_grad();
    }
}
