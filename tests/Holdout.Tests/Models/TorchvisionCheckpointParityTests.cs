using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Holdout.Tests.Models.TorchvisionFixture;

namespace Holdout.Tests.Models;

/// <summary>
/// Issue 29's parity acceptance through the path users take: <c>--model M --weights FILE.pth</c>
/// (<see cref="ModelFactory.Create(ModelOptions)"/>) for a random-weight torchvision model saved by <c>torch.save</c>
/// (<see cref="TorchvisionFixture"/>), whose pooled features and logits must match torchvision's to within 1e-4 relative
/// in float32. Logits: torchvision's own classifier, read from the same file, applied to Holdout's features.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class TorchvisionCheckpointParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [PythonModuleTheory("torchvision")]
    [InlineData(Architecture.ResNet50, "resnet50")]
    [InlineData(Architecture.EfficientNetB0, "efficientnet_b0")]
    [InlineData(Architecture.MobileNetV3Large, "mobilenet_v3_large")]
    [InlineData(Architecture.ConvNeXtTiny, "convnext_tiny")]
    public void Should_compute_torchvisions_features_and_logits_from_its_pth_file(Architecture architecture, string torchvisionName)
    {
        // Given torchvision's model saved by torch.save, and its features and logits for two random images
        NativeRuntime.EnsureInitialized();
        var fixture = TorchvisionFixture.Get(torchvisionName);
        var reference = fixture.OpenReference();
        using var scope = NewDisposeScope();
        var input = Read(reference, "input");

        // When Holdout builds the model from the .pth file and computes the features in evaluation mode
        using var model = ModelFactory.Create(new ModelOptions(architecture, ["a", "b"], 64, fixture.Pth));
        model.eval();
        Tensor features;
        using (no_grad()) features = model.Features(input);
        var logits = TorchvisionClassifier(architecture, WeightsFile.ReadStateDict(fixture.Pth), features);

        // Then both agree with torchvision's within 1e-4 of their largest value
        var featureDifference = RelativeDifference(Read(reference, "features"), features);
        var logitDifference = RelativeDifference(Read(reference, "logits"), logits);
        output.WriteLine($"{torchvisionName}: features {featureDifference:0.0e+0}, logits {logitDifference:0.0e+0} (max |difference| / max |torchvision|)");
        Assert.True(featureDifference <= Tolerance, $"features differ by {featureDifference} relative");
        Assert.True(logitDifference <= Tolerance, $"logits differ by {logitDifference} relative");
        Assert.True(model.IsPretrained);
    }

    /// <summary>torchvision's classifier on the pooled features, from the checkpoint's own tensors (evaluation mode: no dropout).</summary>
    private static Tensor TorchvisionClassifier(Architecture architecture, IReadOnlyDictionary<string, Tensor> state, Tensor features)
    {
        Tensor Linear(Tensor x, string name) => nn.functional.linear(x, state[name + ".weight"].to(ScalarType.Float32), state[name + ".bias"].to(ScalarType.Float32));
        return architecture switch
        {
            Architecture.ResNet50 => Linear(features, "fc"),
            Architecture.EfficientNetB0 => Linear(features, "classifier.1"),
            Architecture.MobileNetV3Large => Linear(nn.functional.hardswish(Linear(features, "classifier.0")), "classifier.3"),
            Architecture.ConvNeXtTiny => Linear(features, "classifier.2"),
            _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
        };
    }

}
