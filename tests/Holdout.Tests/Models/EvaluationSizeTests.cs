using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Holdout.Models.Weights;
using Microsoft.ML.OnnxRuntime;

namespace Holdout.Tests.Models;

/// <summary>A model evaluated at a larger size than it trained at (FixRes): preprocessing, bundle, loader and export.</summary>
[Collection(NativeCollection.Name)]
public sealed class EvaluationSizeTests
{
    [Fact]
    public void Should_render_evaluation_at_the_evaluation_size_and_training_at_the_input_size()
    {
        // Given the bundled ResNet's preprocessing at 64 px with evaluation at 80
        var preprocessing = Preprocessing.CntkResNet(64).WithEvaluationSize(80);
        var samples = SampleBeans.Take(3);

        // When an evaluation and a training loader read the same images
        var evaluation = BatchLoader.ForEvaluation(samples, preprocessing, new BatchLoaderOptions(BatchSize: 3, Workers: 1));
        var training = BatchLoader.ForTraining(samples, preprocessing, new BatchLoaderOptions(BatchSize: 3, Workers: 1));
        using var evaluated = evaluation.Batches(0).Single();
        using var trained = training.Batches(0).Single();

        // Then evaluation batches are 80 x 80 and training batches 64 x 64; the same size twice means no evaluation size
        Assert.Equal([3L, 3, 80, 80], evaluated.Images.shape);
        Assert.Equal([3L, 3, 64, 64], trained.Images.shape);
        Assert.Equal(80, preprocessing.EvaluationSize);
        Assert.Equal(80, preprocessing.ForEvaluation().InputSize);
        Assert.Null(preprocessing.ForEvaluation().EvalSize);
        Assert.Null(preprocessing.WithEvaluationSize(64).EvalSize);
        Assert.NotEqual(Preprocessing.CntkResNet(64), preprocessing);
    }

    [Fact]
    public void Should_keep_the_evaluation_size_in_a_bundle_and_read_older_bundles_as_evaluated_at_their_input_size()
    {
        // Given a ResNet-18 at 32 px evaluated at 48, and one without an evaluation size
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        var larger = Path.Combine(temp.Path, "larger.holdout");
        var plain = Path.Combine(temp.Path, "plain.holdout");
        using (var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights)))
        {
            ModelBundle.Save(plain, model);
            model.EvaluationSize = 48;
            ModelBundle.Save(larger, model);
        }

        // When both are loaded
        using var loadedLarger = ModelBundle.Load(larger).Model;
        using var loadedPlain = ModelBundle.Load(plain).Model;

        // Then the sizes come back; the plain bundle stays format 1 (older Holdouts read it as before), the other is format 2
        Assert.Equal(48, loadedLarger.EvaluationSize);
        Assert.Equal(32, loadedLarger.Options.ImageSize);
        Assert.Equal(32, loadedPlain.EvaluationSize);
        Assert.Equal(2, FormatVersion(larger));
        Assert.Equal(1, FormatVersion(plain));

        // And a spec written before the evaluation size existed reads as evaluated at its input size
        var json = loadedPlain.Spec.ToJson();
        json["preprocessing"]!.AsObject().Remove("eval_size");
        Assert.Equal(32, BackboneSpec.FromJson(json).Preprocessing.EvaluationSize);
    }

    [Fact]
    public void Should_refuse_an_evaluation_size_the_simple_cnn_cannot_take()
    {
        NativeRuntime.EnsureInitialized();
        using var cnn = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["a", "b"], 32, ModelOptions.NoWeights));
        var error = Assert.Throws<HoldoutException>(() => cnn.EvaluationSize = 48);
        Assert.Contains("only takes 32 x 32", error.Message, StringComparison.Ordinal);
        cnn.EvaluationSize = 32;
    }

    [Fact]
    public void Should_export_onnx_at_the_evaluation_size_and_say_so_in_its_metadata()
    {
        // Given the bundled ResNet-18 at 64 px evaluated at 80
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = PretrainedResNet18.Create(SampleBeans.Classes, 64);
        model.EvaluationSize = 80;
        var path = Path.Combine(temp.Path, "model.onnx");

        // When it is exported with its preprocessing inside
        OnnxExport.Save(model, path, new OnnxExportOptions(WithPreprocessing: true));

        // Then the graph takes 80 x 80 pixels, the metadata says 80, and the spec read back keeps both sizes
        using var session = new InferenceSession(path);
        Assert.Equal([-1, 80, 80, 3], session.InputMetadata[OnnxModelInfo.InputName].Dimensions);
        Assert.Equal("80", session.ModelMetadata.CustomMetadataMap["image_size"]);
        var info = OnnxModelInfo.Read(path);
        Assert.Equal(80, info.Preprocessing.EvaluationSize);
        Assert.Equal(64, info.Preprocessing.InputSize);
    }

    private static int FormatVersion(string bundle) =>
        JsonNode.Parse(SafeTensorsFile.Open(bundle).Metadata["holdout"])!["format_version"]!.GetValue<int>();
}
