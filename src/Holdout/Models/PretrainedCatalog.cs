namespace Holdout.Models;

/// <summary>The pretrained weights that ship with Holdout and are available offline.</summary>
public static class PretrainedCatalog
{
    /// <summary>One offline pretrained model file.</summary>
    /// <param name="Name">The name used on the command line (<c>--weights bundled</c> picks it for its architecture).</param>
    /// <param name="Description">Architecture, training data, source and licence.</param>
    /// <param name="Path">The file on disk.</param>
    public sealed record Entry(string Name, string Description, string Path);

    /// <summary>The bundled ImageNet ResNet-18 ONNX file, beside the application.</summary>
    public static string ResNet18OnnxPath => Path.Combine(AppContext.BaseDirectory, "pretrained", "resnet18-imagenet-cntk.onnx");

    /// <summary>The pretrained models whose files are present beside the application.</summary>
    public static IReadOnlyList<Entry> Available()
    {
        var result = new List<Entry>();
        if (File.Exists(ResNet18OnnxPath))
        {
            result.Add(new Entry("resnet18",
                "ImageNet ResNet-18 (CNTK export, stages 2-2-2-3) from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, MIT",
                ResNet18OnnxPath));
        }
        return result;
    }
}
