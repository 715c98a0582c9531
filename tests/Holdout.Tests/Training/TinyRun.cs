using Holdout.Models;
using Holdout.Models.Onnx;
using Holdout.Native;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

/// <summary>
/// One finished tiny run (simple CNN, 32 px, 3 epochs on <see cref="TinyImageFolder"/>), trained once per test
/// process on first use and shared by the evaluation, prediction and report tests (deleted when the process exits).
/// </summary>
internal static class TinyRun
{
    private static readonly Lazy<(TempFolder Folder, TrainingRunResult Result, string Data)> Run = new(Train);

    /// <summary>The run's result (files, metrics, predictions, manifest).</summary>
    public static TrainingRunResult Result => Run.Value.Result;

    /// <summary>The run folder.</summary>
    public static string Folder => Run.Value.Result.Files.Folder;

    /// <summary>The dataset the run was trained on (classes red, green, blue).</summary>
    public static string Data => Run.Value.Data;

    /// <summary>The batch size the run used.</summary>
    public const int BatchSize = 8;

    /// <summary>Exports the run's best model to an ONNX file (float32) at <paramref name="path"/>; returns the path.</summary>
    public static string ExportOnnx(string path, bool withPreprocessing = false)
    {
        using var model = ModelBundle.Load(Result.Files.Best).Model;
        OnnxExport.Save(model, path, new OnnxExportOptions(WithPreprocessing: withPreprocessing));
        return path;
    }

    private static (TempFolder, TrainingRunResult, string) Train()
    {
        NativeRuntime.EnsureInitialized();
        var folder = new TempFolder();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
        var data = TinyImageFolder.Create(folder, perClass: 14);
        var result = TrainingRun.Start(new TrainRunOptions(
            Data: data, Model: Architecture.SimpleCnn, Epochs: 3, BatchSize: BatchSize, ImageSize: 32, Seed: 11, Workers: 2,
            Out: Path.Combine(folder.Path, "run"), Patience: 2));
        return (folder, result, data);
    }
}
