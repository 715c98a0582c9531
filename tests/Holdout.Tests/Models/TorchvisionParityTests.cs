using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class TorchvisionParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(Architecture.ResNet18, "resnet18")]
    [InlineData(Architecture.ResNet50, "resnet50")]
    public void Should_match_pytorch_torchvision_features_in_eval_and_train_mode(Architecture architecture, string fixture)
    {
        // Given a Holdout ResNet whose backbone holds the formula weights PyTorch used (make_fixtures.py)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(new ModelOptions(architecture, ["a", "b"], 64, ModelOptions.NoWeights));
        FormulaWeights.Fill(model.Backbone);
        var expected = SafeTensorsFile.Open(TestPaths.Fixture($"{fixture}-parity.safetensors"));
        var input = FormulaInput();

        // When features are computed in eval mode, then in train mode (batch statistics, running stats updated)
        model.eval();
        var evalFeatures = model.Features(input);
        model.train();
        var trainFeatures = model.Features(input);

        // Then both agree with PyTorch's within 1e-4, and so do the BatchNorm running statistics after the train pass
        AssertClose(expected, "eval_features", evalFeatures);
        AssertClose(expected, "train_features", trainFeatures);
        var state = model.Backbone.state_dict();
        AssertClose(expected, "after_train.bn1.running_mean", state["bn1.running_mean"]);
        AssertClose(expected, "after_train.bn1.running_var", state["bn1.running_var"]);
        AssertClose(expected, "after_train.last.running_mean", state[expected.Metadata["last_bn"]]);
    }

    [Fact]
    public void Should_name_parameters_as_torchvision_does()
    {
        // Given Holdout's ResNet-50 backbone
        NativeRuntime.EnsureInitialized();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet50, ["a", "b"], 64, ModelOptions.NoWeights));

        // When its state dict names are listed
        var names = model.Backbone.state_dict().Keys.ToHashSet();

        // Then they are exactly torchvision's (fc excepted: Holdout's head replaces it), as listed by PyTorch
        var torchvision = SafeTensorsFile.Open(TestPaths.Fixture("resnet50-parity.safetensors")).Metadata["state_dict_keys"].Split(',');
        Assert.Equal(torchvision.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Contains("conv1.weight", names);
        Assert.Contains("bn1.running_var", names);
        Assert.Contains("layer1.0.downsample.0.weight", names);
        Assert.Contains("layer2.0.downsample.1.running_mean", names);
        Assert.Contains("layer4.2.conv3.weight", names);
        Assert.Contains("layer3.5.bn2.num_batches_tracked", names);
        Assert.DoesNotContain(names, n => n.StartsWith("fc.", StringComparison.Ordinal));
    }

    private static Tensor FormulaInput() => FormulaWeights.Input(2, 3, 96, 96);

    private void AssertClose(SafeTensorsFile file, string name, Tensor actual) =>
        output.WriteLine($"{name}: max abs difference {AssertClose(file, name, actual, 1e-4)}");

    internal static float AssertClose(SafeTensorsFile file, string name, Tensor actual, double tolerance)
    {
        using var expected = file.ReadTensor(file.Entries.Single(e => e.Name == name));
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual.detach()).abs().max().item<float>();
        Assert.True(difference < tolerance, $"{name}: max abs difference {difference} (tolerance {tolerance})");
        return difference;
    }
}
