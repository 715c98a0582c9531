using Holdout.Models;
using static TorchSharp.torch;

namespace Holdout.Tests.Models.Onnx;

/// <summary>
/// The models the export is checked on: every architecture Holdout trains, at small input sizes. Torchvision-layout
/// ResNets hold <see cref="FormulaWeights"/> everywhere, head included, so every BatchNorm has running statistics,
/// scales and shifts far from the defaults and folding is really exercised.
/// </summary>
internal static class ExportCase
{
    public static TheoryData<string> Names() =>
        ["simple-cnn", "resnet18-bundled", "resnet18-bundled-odd", "resnet18-bundled-eval80", "resnet18", "resnet18-bn-head-flatten", "resnet34", "resnet50", "efficientnet-b0", "efficientnet-b0-odd", "mobilenet-v3-large", "convnext-tiny"];

    public static ImageClassifier Create(string name)
    {
        var classes = SampleBeans.Classes;
        var model = name switch
        {
            "simple-cnn" => WithTrainedOutput(ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, classes, 48, ModelOptions.NoWeights, Seed: 5))),
            "resnet18-bundled" => WithTrainedOutput(PretrainedResNet18.Create(classes, 64)),
            "resnet18-bundled-odd" => WithTrainedOutput(PretrainedResNet18.Create(classes, 67)), // odd sizes: CNTK's end-trimmed pads cut the shortcut
            "resnet18-bundled-eval80" => WithTrainedOutput(WithEvaluationSize(PretrainedResNet18.Create(classes, 64), 80)), // trained at 64, evaluated at 80 (FixRes)
            "resnet18" => Formula(Architecture.ResNet18, classes, null),
            "resnet18-bn-head-flatten" => Formula(Architecture.ResNet18, classes, new HeadOptions(HeadPooling.Flatten, 0.3, BatchNorm: true)),
            "resnet34" => Formula(Architecture.ResNet34, classes, null),
            "resnet50" => Formula(Architecture.ResNet50, classes, null),
            "efficientnet-b0" => Formula(MobileBackbones.Create(Architecture.EfficientNetB0, classes, 64)),
            "efficientnet-b0-odd" => Formula(MobileBackbones.Create(Architecture.EfficientNetB0, classes, 67)), // odd sizes through five stride-2 convolutions
            "mobilenet-v3-large" => Formula(MobileBackbones.Create(Architecture.MobileNetV3Large, classes, 64)),
            "convnext-tiny" => WithTrainedOutput(ConvNeXtTestModels.Perturbed(ConvNeXtTestModels.Create(classes, 64))),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown export case"),
        };
        model.eval();
        return model;
    }

    /// <summary>
    /// New heads start at the class priors (output weights zero), so every logit of a fresh model is the same for
    /// every image; give the output layer seeded weights of the size training leaves there, so logits vary.
    /// </summary>
    private static ImageClassifier WithTrainedOutput(ImageClassifier model)
    {
        var output = model.named_parameters().Last(p => p.name.StartsWith("head.", StringComparison.Ordinal) && p.parameter.dim() == 2).parameter;
        using (no_grad())
        {
            var generator = new TorchSharp.torch.Generator(11);
            output.copy_(randn(output.shape, generator: generator).mul_(3.0 / Math.Sqrt(output.shape[1])));
        }
        return model;
    }

    private static ImageClassifier WithEvaluationSize(ImageClassifier model, int size)
    {
        model.EvaluationSize = size;
        return model;
    }

    private static ImageClassifier Formula(Architecture architecture, IReadOnlyList<string> classes, HeadOptions? head) =>
        Formula(ModelFactory.Create(new ModelOptions(architecture, classes, 64, ModelOptions.NoWeights, head)));

    private static ImageClassifier Formula(ImageClassifier model)
    {
        FormulaWeights.Fill(model);
        // Logits of a few units (not tenths), so that 1e-4 is a tight bound relative to them.
        using (no_grad()) model.named_parameters().Single(p => p.name == "head.fc.weight").parameter.mul_(20);
        return model;
    }
}
