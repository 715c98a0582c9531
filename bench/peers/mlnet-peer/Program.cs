// ML.NET peer: the canonical TensorFlow-free ML.NET image pipeline
//   LoadImages -> ResizeImages(224x224) -> ExtractPixels -> DnnFeaturizeImage(ResNet18)
//   -> cache -> LbfgsMaximumEntropy (and SdcaMaximumEntropy on the same cached features)
// on the shared split lists: <splitsDir>/<dataset>.{train,val,test}.txt (<relative path><TAB><label>)
// and <splitsDir>/<dataset>.root (the dataset root, absolute or relative to the splits folder).
//
// What it measures: the frozen-backbone baseline an ML.NET user would write: test/val accuracy, featurize and
// train img/s, eval img/s, wall time (its JSON). `Holdout.Bench frozen` builds this project on demand
// (dotnet build -c Release --artifacts-path <tmp>/holdout-bench/mlnet-peer; it is not in Holdout.sln, so the tests
// never build it) and times `mlnet-peer run <name> <splits> <out.json>` from start to exit against `holdout train
// --recipe frozen` on the same split. Brought into the repository from the team's shared/peers (issue 26).
//
// Usage (after `dotnet build -c Release`):
//   mlnet-peer run <dataset> [splitsDir] [outJson]
//       splitsDir: default $PEERS_SPLITS, else ../splits next to the project (bin/Release/net10.0/../../../../splits)
//       outJson:   default $PEERS_RESULTS/mlnet_<dataset>.json, else <tmp>/peers-results/mlnet_<dataset>.json
//   mlnet-peer ort-features <in.f32> <out.f32> <N>   (parity helper: raw OnnxRuntime)
//   mlnet-peer mlnet-features <list.txt> <out.f32>    (parity helper: ML.NET featurizer)
using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

public class ImageRow
{
    [LoadColumn(0)] public string ImagePath { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

public class FeatRow
{
    [VectorType(512)] public float[] Features { get; set; } = Array.Empty<float>();
}

public static class Program
{
    static readonly string ModelDir = Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    public static int Main(string[] args)
    {
        switch (args.Length > 0 ? args[0] : "")
        {
            case "run": return Run(args);
            case "ort-features": return OrtFeatures(args[1], args[2], int.Parse(args[3]));
            case "mlnet-features": return MlnetFeatures(args[1], args[2]);
            default:
                Console.Error.WriteLine("usage: mlnet-peer run <dataset> [splitsDir] [outJson] | ort-features in out N | mlnet-features list out");
                return 2;
        }
    }

    static IEstimator<ITransformer> Featurizer(MLContext ml, string imageFolder) =>
        ml.Transforms.LoadImages(outputColumnName: "Image", imageFolder: imageFolder, inputColumnName: "ImagePath")
          .Append(ml.Transforms.ResizeImages(outputColumnName: "Image", imageWidth: 224, imageHeight: 224, inputColumnName: "Image"))
          .Append(ml.Transforms.ExtractPixels(outputColumnName: "Pixels", inputColumnName: "Image"))
          .Append(ml.Transforms.DnnFeaturizeImage("Features",
              m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));

    static int Run(string[] args)
    {
        var total = Stopwatch.StartNew();
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: mlnet-peer run <dataset> [splitsDir] [outJson]");
            return 2;
        }
        string dataset = args[1];
        string? envSplits = Environment.GetEnvironmentVariable("PEERS_SPLITS");
        string? envResults = Environment.GetEnvironmentVariable("PEERS_RESULTS");
        string splits = Path.GetFullPath(args.Length > 2 ? args[2]
            : !string.IsNullOrEmpty(envSplits) ? envSplits
            : Path.Combine(AppContext.BaseDirectory, "../../../../splits"));
        string outJson = Path.GetFullPath(args.Length > 3 ? args[3]
            : !string.IsNullOrEmpty(envResults) ? Path.Combine(envResults, $"mlnet_{dataset}.json")
            : Path.Combine(Path.GetTempPath(), "peers-results", $"mlnet_{dataset}.json"));
        foreach (var f in new[] { $"{dataset}.root", $"{dataset}.train.txt", $"{dataset}.val.txt", $"{dataset}.test.txt" })
        {
            if (!File.Exists(Path.Combine(splits, f)))
            {
                var known = Directory.Exists(splits)
                    ? string.Join(", ", Directory.GetFiles(splits, "*.root").Select(p => Path.GetFileNameWithoutExtension(p)).Order())
                    : "";
                Console.Error.WriteLine($"mlnet-peer: {Path.Combine(splits, f)} not found. Datasets with splits in {splits}: " +
                    $"{(known.Length > 0 ? known : "none")}. Create them with make_splits.py, or pass the splits folder as the 3rd argument.");
                return 2;
            }
        }
        // the root may be relative to the splits folder (Path.Combine keeps an absolute root as is)
        string rootText = File.ReadAllText(Path.Combine(splits, $"{dataset}.root")).Trim();
        string root = Path.GetFullPath(Path.Combine(splits, rootText));
        if (!Directory.Exists(root))
        {
            Console.Error.WriteLine($"mlnet-peer: dataset root {root} (from {dataset}.root) is not a folder.");
            return 2;
        }
        var ml = new MLContext(seed: 0);

        IDataView Load(string part) => ml.Data.LoadFromTextFile<ImageRow>(
            Path.Combine(splits, $"{dataset}.{part}.txt"), separatorChar: '\t', hasHeader: false);
        var train = Load("train"); var val = Load("val"); var test = Load("test");
        long Count(IDataView d) { long n = 0; using var c = d.GetRowCursor(Array.Empty<DataViewSchema.Column>()); while (c.MoveNext()) n++; return n; }
        long nTrain = Count(train), nVal = Count(val), nTest = Count(test);

        // 1) featurizer (key mapping of the label + image chain), fitted on train
        var sw = Stopwatch.StartNew();
        var featPipe = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Append(Featurizer(ml, root));
        var featModel = featPipe.Fit(train);
        double fitFeaturizerS = sw.Elapsed.TotalSeconds;

        // 2) featurize the training set once into an in-memory cache (== AppendCacheCheckpoint)
        sw.Restart();
        var trainFeat = ml.Data.Cache(featModel.Transform(train), "LabelKey", "Features");
        {
            var cols = new[] { trainFeat.Schema["LabelKey"], trainFeat.Schema["Features"] };
            using var cur = trainFeat.GetRowCursor(cols);
            var gk = cur.GetGetter<uint>(trainFeat.Schema["LabelKey"]);
            var gf = cur.GetGetter<VBuffer<float>>(trainFeat.Schema["Features"]);
            uint k = 0; VBuffer<float> f = default;
            while (cur.MoveNext()) { gk(ref k); gf(ref f); }
        }
        double featTrainS = sw.Elapsed.TotalSeconds;

        var result = new Dictionary<string, object?>
        {
            ["system"] = "mlnet", ["mlnet"] = FileVersionInfo.GetVersionInfo(typeof(MLContext).Assembly.Location).ProductVersion,
            ["onnxruntime"] = FileVersionInfo.GetVersionInfo(typeof(InferenceSession).Assembly.Location).ProductVersion,
            ["dataset"] = dataset, ["root"] = rootText, ["n"] = new Dictionary<string, long> { ["train"] = nTrain, ["val"] = nVal, ["test"] = nTest },
            ["fit_featurizer_s"] = fitFeaturizerS, ["featurize_train_s"] = featTrainS,
            ["featurize_train_img_s"] = nTrain / featTrainS,
        };

        // 3) trainers on the cached features; evaluation runs the full chain (decode..featurize..predict)
        var trainers = new (string name, IEstimator<ITransformer> est)[]
        {
            ("LbfgsMaximumEntropy", ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(labelColumnName: "LabelKey", featureColumnName: "Features")),
            ("SdcaMaximumEntropy", ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "LabelKey", featureColumnName: "Features")),
        };
        var runs = new List<Dictionary<string, object?>>();
        foreach (var (name, est) in trainers)
        {
            sw.Restart();
            var trModel = est.Fit(trainFeat);
            double trainS = sw.Elapsed.TotalSeconds;
            var model = featModel.Append(trModel);
            double Acc(IDataView d, out double secs)
            {
                var s = Stopwatch.StartNew();
                var m = ml.MulticlassClassification.Evaluate(model.Transform(d), labelColumnName: "LabelKey");
                secs = s.Elapsed.TotalSeconds; return m.MicroAccuracy;
            }
            double trainAcc = ml.MulticlassClassification.Evaluate(trModel.Transform(trainFeat), labelColumnName: "LabelKey").MicroAccuracy;
            double valAcc = Acc(val, out double valS);
            double testAcc = Acc(test, out double testS);
            var r = new Dictionary<string, object?>
            {
                ["trainer"] = name, ["trainer_fit_s"] = trainS, ["train_acc"] = trainAcc, ["val_acc"] = valAcc, ["test_acc"] = testAcc,
                ["eval_s"] = valS + testS, ["eval_img_s"] = (nVal + nTest) / (valS + testS),
            };
            runs.Add(r);
            Console.WriteLine(JsonSerializer.Serialize(r));
        }
        result["runs"] = runs;
        result["wall_s"] = total.Elapsed.TotalSeconds;
        result["peak_working_set_mb_dotnet"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
        Directory.CreateDirectory(Path.GetDirectoryName(outJson)!);
        File.WriteAllText(outJson, json);
        Console.WriteLine(json);
        Console.Error.WriteLine($"wrote {outJson}");
        return 0;
    }

    // Parity helper: run ResNetPreprocess.onnx + ResNet18.onnx with OnnxRuntime on raw RGB 0..255 NCHW float32 tensors.
    static int OrtFeatures(string inPath, string outPath, int n)
    {
        var raw = File.ReadAllBytes(inPath);
        var all = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, all, 0, raw.Length);
        int sz = 3 * 224 * 224;
        using var prep = new InferenceSession(Path.Combine(ModelDir, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        using var net = new InferenceSession(Path.Combine(ModelDir, "ResNet18Onnx", "ResNet18.onnx"));
        var outAll = new float[n * 512];
        for (int i = 0; i < n; i++)
        {
            var t = new DenseTensor<float>(all.AsMemory(i * sz, sz), new[] { 1, 3, 224, 224 });
            using var r1 = prep.Run(new[] { NamedOnnxValue.CreateFromTensor("OriginalInput", t) });
            var pre = r1.First().AsTensor<float>().ToArray();
            var t2 = new DenseTensor<float>(pre, new[] { 1, 3, 224, 224 });
            using var r2 = net.Run(new[] { NamedOnnxValue.CreateFromTensor("Input247", t2) });
            var f = r2.First().AsTensor<float>().ToArray();
            Array.Copy(f, 0, outAll, i * 512, 512);
        }
        var bytes = new byte[outAll.Length * 4];
        Buffer.BlockCopy(outAll, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(outPath, bytes);
        Console.WriteLine($"ort-features: {n} images, onnxruntime {typeof(InferenceSession).Assembly.GetName().Version}");
        return 0;
    }

    // Parity helper: the ML.NET featurization chain on a list of absolute image paths.
    static int MlnetFeatures(string listPath, string outPath)
    {
        var ml = new MLContext(seed: 0);
        var rows = File.ReadAllLines(listPath).Where(l => l.Length > 0).Select(p => new ImageRow { ImagePath = p, Label = "x" }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var feats = Featurizer(ml, "/").Fit(data).Transform(data);
        var outAll = ml.Data.CreateEnumerable<FeatRow>(feats, reuseRowObject: false).SelectMany(r => r.Features).ToArray();
        var bytes = new byte[outAll.Length * 4];
        Buffer.BlockCopy(outAll, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(outPath, bytes);
        Console.WriteLine($"mlnet-features: {rows.Count} images");
        return 0;
    }
}
