using Holdout.Models;
using Holdout.Models.Onnx;

namespace Holdout.Tests.Models;

/// <summary>The bundled ONNX file parsed once per test run (it is 63 MB), shared by every test class that needs it.</summary>
internal static class PretrainedResNet18
{
    private static readonly Lazy<CntkResNetImport> LazyImport = new(() => CntkResNetImport.Import(PretrainedCatalog.ResNet18OnnxPath));

    public static CntkResNetImport Import => LazyImport.Value;

    public static ImageClassifier Create(IReadOnlyList<string> classes, int size = 224, HeadOptions? head = null, long seed = 42) =>
        ModelFactory.Create(new ModelOptions(Architecture.ResNet18, classes, size, ModelOptions.BundledWeights, head, seed), Import);
}
