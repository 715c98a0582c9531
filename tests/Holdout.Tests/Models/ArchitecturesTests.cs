using Holdout.Explaining;
using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>
/// What every pretrained-style architecture must do besides matching torchvision (the parity tests): be built by the
/// factory with the right spec, explain itself with Grad-CAM, survive a bundle round trip, and refuse another
/// architecture's weights with a message naming what the file looks like. Random weights, 64 px, 2 images.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class ArchitecturesTests
{
    public ArchitecturesTests() => NativeRuntime.EnsureInitialized();

    public static TheoryData<Architecture> NewArchitectures => [Architecture.EfficientNetB0, Architecture.MobileNetV3Large, Architecture.ConvNeXtTiny];

    private static ImageClassifier Build(Architecture architecture, string weights = ModelOptions.NoWeights)
    {
        NativeRuntime.EnsureInitialized();
        return ModelFactory.Create(new ModelOptions(architecture, ["a", "b", "c"], 64, weights, Seed: 3));
    }

    [Theory]
    [MemberData(nameof(NewArchitectures))]
    public void Should_explain_with_grad_cam_through_the_same_function_as_forward(Architecture architecture)
    {
        // Given a random-weight model of the architecture and two images
        using var scope = NewDisposeScope();
        using var model = Build(architecture);
        model.eval();
        var images = randn([2, 3, 64, 64], generator: new Generator(5));

        // When its explained map is classified, and Grad-CAM explains both images
        Tensor direct, viaMap;
        using (no_grad())
        {
            direct = model.forward(images);
            viaMap = model.ClassifyMap(model.ExplainedMap(images));
        }
        var explained = GradCam.Explain(model, images).Explanations;

        // Then the map path computes forward's logits, and each image gets a finite heatmap for its predicted class
        Assert.True((direct - viaMap).abs().max().item<float>() < 1e-5f);
        Assert.Equal(2, explained.Count);
        Assert.All(explained, e =>
        {
            Assert.Equal(e.PredictedClass, e.ExplainedClass);
            Assert.Equal(3, e.Probabilities.Count);
        });
    }

    [Theory]
    [MemberData(nameof(NewArchitectures))]
    public void Should_compute_the_same_features_in_training_and_evaluation_when_the_backbone_is_frozen(Architecture architecture)
    {
        // Given a model whose whole backbone is frozen (BatchNorm stays in evaluation mode, the default)
        using var scope = NewDisposeScope();
        using var model = Build(architecture);
        model.FreezeBackbone();
        var images = randn([2, 3, 64, 64], generator: new Generator(8));

        // When its features are computed in training mode (twice) and in evaluation mode
        using var noGrad = no_grad();
        model.train();
        var trained = model.Features(images);
        var again = model.Features(images);
        model.eval();
        var evaluated = model.Features(images);

        // Then they agree: stochastic depth and BatchNorm of frozen stages act as in evaluation
        Assert.True((trained - evaluated).abs().max().item<float>() < 1e-5f);
        Assert.True((again - evaluated).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [MemberData(nameof(NewArchitectures))]
    public void Should_give_the_same_logits_after_a_bundle_round_trip(Architecture architecture)
    {
        // Given a random-weight model and its bundle
        using var folder = new TempFolder();
        using var scope = NewDisposeScope();
        using var model = Build(architecture);
        model.eval();
        var path = Path.Combine(folder.Path, "model.holdout");
        ModelBundle.Save(path, model);

        // When the bundle is loaded
        using var loaded = ModelBundle.Load(path).Model;

        // Then it is the same architecture, spec and function
        var images = randn([2, 3, 64, 64], generator: new Generator(6));
        using var noGrad = no_grad();
        Assert.Equal(architecture, loaded.Options.Architecture);
        Assert.Equal(model.Spec, loaded.Spec);
        Assert.Equal(model.StageCount, loaded.StageCount);
        Assert.True((model.forward(images) - loaded.forward(images)).abs().max().item<float>() < 1e-6f);
    }

    [PythonModuleFact("torchvision")]
    public void Should_refuse_another_architectures_weights_naming_what_the_file_looks_like()
    {
        // Given torchvision's MobileNetV3-Large weights (random) as .safetensors
        var files = TorchvisionFixture.Get("mobilenet_v3_large");

        // When they are given to ConvNeXt-Tiny
        var error = Assert.Throws<HoldoutException>(() => Build(Architecture.ConvNeXtTiny, files.SafeTensors));

        // Then the message lists the first differences and says which architecture the file is
        Assert.Contains("do not fit the model", error.Message);
        Assert.Contains("missing", error.Message);
        Assert.Contains("features.1.0.layer_scale", error.Message);
        Assert.Contains("looks like torchvision's mobilenet_v3_large", error.Message);
        Assert.Contains("convnext-tiny", error.Message);
    }

    [PythonModuleFact("torchvision")]
    public void Should_take_the_preprocessing_of_torchvisions_weights_when_built_from_a_file()
    {
        // Given torchvision's ConvNeXt-Tiny and EfficientNet-B0 weights (random) as .safetensors
        using var convnext = Build(Architecture.ConvNeXtTiny, TorchvisionFixture.Get("convnext_tiny").SafeTensors);
        using var efficientnet = Build(Architecture.EfficientNetB0, TorchvisionFixture.Get("efficientnet_b0").SafeTensors);

        // Then both normalise with ImageNet's mean and std, and crop as torchvision's weights' metadata says (224/236, 224/256)
        Assert.Equal(Holdout.Imaging.Preprocessing.ImageNetTorchvision(64, 224.0 / 236.0), convnext.Spec.Preprocessing);
        Assert.Equal(Holdout.Imaging.Preprocessing.ImageNetTorchvision(64, 0.875), efficientnet.Spec.Preprocessing);
        Assert.True(convnext.IsPretrained);
        Assert.Equal(768, convnext.Spec.FeatureDimension);
        Assert.Equal(1280, efficientnet.Spec.FeatureDimension);
    }

    [Fact]
    public void Should_name_the_architecture_of_a_state_dict_from_its_keys()
    {
        // Given the key shapes of a few torchvision state dicts (only what the guess reads)
        Dictionary<string, long[]> ResNet(int[] blocks, bool bottleneck)
        {
            var shapes = new Dictionary<string, long[]> { ["conv1.weight"] = [64, 3, 7, 7], ["fc.weight"] = [1000, bottleneck ? 2048 : 512] };
            for (var stage = 0; stage < 4; stage++)
            {
                for (var b = 0; b < blocks[stage]; b++)
                {
                    shapes[$"layer{stage + 1}.{b}.conv1.weight"] = [64L << stage, 64, 1, 1];
                    if (bottleneck) shapes[$"layer{stage + 1}.{b}.conv3.weight"] = [256L << stage, 64, 1, 1];
                }
            }
            return shapes;
        }

        // Then each is named, with its classifier's class count
        Assert.Equal("torchvision's (or timm's) resnet18 (basic blocks, stages 2-2-2-2, a classifier for 1000 classes)", ArchitectureGuess.Guess(ResNet([2, 2, 2, 2], false)));
        Assert.Contains("resnet50 (bottleneck blocks, stages 3-4-6-3", ArchitectureGuess.Guess(ResNet([3, 4, 6, 3], true)));
        Assert.Contains("resnet101", ArchitectureGuess.Guess(ResNet([3, 4, 23, 3], true)));
        Assert.Contains("timm's EfficientNet", ArchitectureGuess.Guess(new Dictionary<string, long[]> { ["conv_stem.weight"] = [32, 3, 3, 3] }));
        Assert.Null(ArchitectureGuess.Guess(new Dictionary<string, long[]> { ["weight"] = [3] }));
    }
}
