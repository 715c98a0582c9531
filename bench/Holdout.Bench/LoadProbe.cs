using System.Diagnostics;
using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Holdout.Runs;

namespace Holdout.Bench;

/// <summary>Where a run's start-up time goes: engine load, the bundled model's import, the model, the run setup.</summary>
internal static class LoadProbe
{
    public static int Run(string[] args)
    {
        var clock = Stopwatch.StartNew();
        void Step(string what) { Console.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.00} s  {what}"); clock.Restart(); }
        NativeRuntime.EnsureInitialized();
        Step("engine loaded");
        using (var first = TorchSharp.torch.zeros(1)) Step("first tensor");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(PretrainedCatalog.ResNet18OnnxPath)));
        Step("SHA-256 of the ONNX file");
        var onnx = OnnxModel.Read(PretrainedCatalog.ResNet18OnnxPath);
        Step($"ONNX parsed ({onnx.Nodes.Count} nodes)");
        var import = CntkResNetImport.Import(PretrainedCatalog.ResNet18OnnxPath);
        Step("CntkResNetImport.Import (hash + parse + follow)");
        using (var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b", "c"], 224, ModelOptions.BundledWeights), import)) Step("ModelFactory.Create from the import");
        using (var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b", "c"], 224, ModelOptions.BundledWeights)))
        {
            Step("ModelFactory.Create (cached import)");
            var bundle = Path.Combine(Path.GetTempPath(), $"holdout-load-probe-{Environment.ProcessId}.holdout");
            for (var round = 1; round <= 3; round++)
            {
                ModelBundle.Save(bundle, model);
                Step($"ModelBundle.Save ({new FileInfo(bundle).Length / 1e6:0.0} MB), round {round}");
            }
            using (ModelBundle.Load(bundle).Model) Step("ModelBundle.Load");
            File.Delete(bundle);
        }
        if (args.Length > 0)
        {
            var options = new TrainRunOptions(Data: args[0], Recipe: RecipeKind.Frozen, Augment: "none", Seed: 0);
            var data = RunData.Prepare(options);
            Step("RunData.Prepare");
            using var setup = RunSetup.Create(options, data.Split);
            Step("RunSetup.Create");
        }
        return 0;
    }
}
