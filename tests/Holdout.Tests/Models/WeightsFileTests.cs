using System.Security.Cryptography;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>--weights FILE: a torchvision state dict saved as .safetensors is what the backbone computes with.</summary>
[Collection(NativeCollection.Name)]
public sealed class WeightsFileTests
{
    private static readonly string[] Classes = ["a", "b"];

    /// <summary>Writes <paramref name="tensors"/> as a .safetensors file.</summary>
    private static string Write(TempFolder folder, string name, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var path = Path.Combine(folder.Path, name);
        using var stream = File.Create(path);
        SafeTensorsFile.Write(stream, SafeTensorsFile.Serialise(tensors), null);
        return path;
    }

    [Fact]
    public void Should_load_a_torchvision_safetensors_file_and_compute_the_features_of_its_weights()
    {
        // Given a ResNet-18 backbone filled with known (formula) weights, saved as torchvision saves a state dict
        // (with its 1000-class fc layer, which Holdout's head replaces)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        using var reference = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, Classes, 32, ModelOptions.NoWeights));
        FormulaWeights.Fill(reference.Backbone);
        var path = Write(folder, "resnet18.safetensors", reference.Backbone.state_dict().Select(kv => (kv.Key, kv.Value))
            .Append(("fc.weight", ones(1000, 512))).Append(("fc.bias", zeros(1000))));

        // When a model is built with the file as its weights (what 'holdout train --weights FILE' passes on), and one
        // with random weights from the same seed
        using var loaded = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, Classes, 32, path));
        using var random = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, Classes, 32, ModelOptions.NoWeights));

        // Then the loaded backbone computes the reference's features on an input (eval mode), which random weights do not
        foreach (var m in new[] { reference, loaded, random }) m.eval();
        var input = FormulaWeights.Input(2, 3, 64, 64);
        var expected = reference.Features(input);
        var difference = (loaded.Features(input) - expected).abs().max().item<float>();
        Assert.True(difference < 1e-5, $"features differ from the file's weights by up to {difference}");
        Assert.True((random.Features(input) - expected).abs().max().item<float>() > 1e-2, "random weights gave the file's features");

        // And the model says where its weights came from: the file's full path and SHA-256, torchvision preprocessing
        Assert.True(loaded.IsPretrained);
        Assert.Equal(Path.GetFullPath(path), loaded.Spec.WeightsSource);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), loaded.Spec.WeightsSha256);
        Assert.Equal(Preprocessing.ImageNetTorchvision(32).Mean, loaded.Spec.Preprocessing.Mean);
        Assert.Equal(Preprocessing.ImageNetTorchvision(32).Std, loaded.Spec.Preprocessing.Std);
    }

    [Fact]
    public void Should_refuse_a_weights_file_that_is_not_a_state_dict_of_the_architecture_naming_the_file()
    {
        // Given a .safetensors file with a single tensor of the wrong shape under a torchvision name
        NativeRuntime.EnsureInitialized();
        using var folder = new TempFolder();
        var path = Write(folder, "wrong.safetensors", [("conv1.weight", zeros(8, 3, 3, 3))]);

        // When a ResNet-18 is built from it; Then it is refused naming the file
        var error = Assert.Throws<HoldoutException>(() => ModelFactory.Create(new ModelOptions(Architecture.ResNet18, Classes, 32, path)));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
