using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>
/// Karpathy's "verify loss @ init" for every architecture: a new head predicts the class priors whatever the image,
/// so the first cross-entropy is the priors' loss on the labels (ln C for balanced classes).
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class HeadInitialisationTests
{
    public HeadInitialisationTests() => NativeRuntime.EnsureInitialized();

    public static TheoryData<Architecture, string, string> Setups()
    {
        var data = new TheoryData<Architecture, string, string>();
        foreach (var architecture in Enum.GetValues<Architecture>())
        {
            data.Add(architecture, ModelOptions.NoWeights, "uniform");
            data.Add(architecture, ModelOptions.NoWeights, "70/20/10");
        }
        data.Add(Architecture.ResNet18, ModelOptions.BundledWeights, "uniform");
        data.Add(Architecture.ResNet18, ModelOptions.BundledWeights, "70/20/10");
        return data;
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public void Should_start_at_the_class_priors_so_the_initial_loss_is_their_loss_on_the_labels(Architecture architecture, string weights, string balance)
    {
        // Given a new 3-class model (random or bundled weights), its head initialised with uniform or 70/20/10 priors
        using var scope = NewDisposeScope();
        using var model = weights == ModelOptions.BundledWeights
            ? PretrainedResNet18.Create(["a", "b", "c"], 32)
            : ModelFactory.Create(new ModelOptions(architecture, ["a", "b", "c"], 32, weights, Seed: 5));
        double[]? counts = balance == "uniform" ? null : [70, 20, 10];
        model.InitialiseHead(counts);
        var priors = counts is null ? [1 / 3.0, 1 / 3.0, 1 / 3.0] : counts.Select(c => c / 100).ToArray();

        // When it classifies random images in train mode, with labels drawn from the priors
        torch.manual_seed(11);
        model.train();
        var images = torch.randn(8, 3, 32, 32) * 2;
        var labels = torch.tensor(new long[] { 0, 0, 0, 0, 0, 1, 1, 2 });
        var logits = model.forward(images);
        var loss = nn.functional.cross_entropy(logits, labels).item<float>();

        // Then every row of predictions equals the priors, and the loss is -mean log prior(label): ln 3 when uniform
        var predicted = nn.functional.softmax(logits, 1).to_type(ScalarType.Float64);
        Assert.True(predicted.allclose(torch.tensor(priors).unsqueeze(0).expand(8, 3), rtol: 0, atol: 1e-6), string.Join(", ", predicted.data<double>().ToArray()));
        var expected = -new long[] { 0, 0, 0, 0, 0, 1, 1, 2 }.Average(y => Math.Log(priors[y]));
        Assert.Equal(expected, loss, 4);
        if (counts is null)
        {
            Assert.Equal(Math.Log(3), loss, 4);
        }
    }
}
