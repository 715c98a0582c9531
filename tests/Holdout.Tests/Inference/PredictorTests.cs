using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;
using Holdout.Tests.Training;
using Holdout.Runs;
using Holdout.Training;
using SkiaSharp;

namespace Holdout.Tests.Inference;

[Collection(NativeCollection.Name)]
public sealed class PredictorTests
{
    public PredictorTests() => NativeRuntime.EnsureInitialized();

    [Fact]
    public void Should_agree_with_evaluate_image_for_image()
    {
        // Given the run's test split as evaluate sees it
        var evaluated = RunEvaluation.Evaluate(new RunEvaluationOptions(TinyRun.Folder));

        // When the predictor classifies the same files, with the run's batch size and with another one
        using var same = Predictor.Load(TinyRun.Folder, new PredictorOptions(BatchSize: TinyRun.BatchSize, Workers: 2));
        using var other = Predictor.Load(TinyRun.Folder, new PredictorOptions(BatchSize: 5, Workers: 1));
        var withSame = same.Predict(evaluated.Paths).ToList();
        var withOther = other.Predict(evaluated.Paths).ToList();

        // Then with the same batches the probabilities are bit-identical, and with other batches the label is the same
        // for every image and the probabilities agree to float precision
        Assert.Equal(evaluated.Paths.Count, withSame.Count);
        var predicted = evaluated.Predictions.Predicted;
        for (int i = 0; i < withSame.Count; i++)
        {
            Assert.Equal(evaluated.Paths[i], withSame[i].Path);
            Assert.Equal(evaluated.Predictions.Probabilities[i], withSame[i].Probabilities);
            Assert.Equal(predicted[i], withSame[i].PredictedIndex);
            Assert.Equal(predicted[i], withOther[i].PredictedIndex);
            for (int c = 0; c < same.ClassNames.Count; c++)
                Assert.Equal(evaluated.Predictions.Probabilities[i][c], withOther[i].Probabilities![c], 5);
        }
        Assert.Equal(evaluated.Metrics.ClassNames, same.ClassNames);
    }

    [SharedDataFact("beans")]
    public void Should_agree_with_evaluate_on_every_image_of_the_beans_test_folder()
    {
        // Given a bundle with the beans classes (a seeded simple CNN at 32 px: the pipeline, not the accuracy, is under test)
        using var temp = new TempFolder();
        var test = Path.Combine(SharedData.Dataset("beans")!, "test");
        var bundle = Path.Combine(temp.Path, "beans.holdout");
        using (var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["angular_leaf_spot", "bean_rust", "healthy"], 32, ModelOptions.NoWeights, Seed: 3)))
            ModelBundle.Save(bundle, model);

        // When evaluate reads the test folder and the predictor classifies the same folder as a user passes it
        var evaluated = RunEvaluation.Evaluate(new RunEvaluationOptions(bundle, Data: test, Workers: 2));
        using var predictor = Predictor.Load(bundle, new PredictorOptions(Workers: 2));
        var predicted = predictor.Predict(PredictionInputs.Expand([test])).ToDictionary(r => r.Path);

        // Then both cover the same 128 images and agree image for image, bit for bit (same batches of 32)
        Assert.Equal(128, evaluated.Paths.Count);
        Assert.Equal(evaluated.Paths.Order(StringComparer.Ordinal), predicted.Keys.Order(StringComparer.Ordinal));
        for (int i = 0; i < evaluated.Paths.Count; i++)
        {
            var p = predicted[evaluated.Paths[i]];
            Assert.Equal(evaluated.Predictions.Predicted[i], p.PredictedIndex);
            Assert.Equal(evaluated.Predictions.Probabilities[i], p.Probabilities);
        }
    }

    [Fact]
    public void Should_report_unreadable_files_and_still_predict_the_others()
    {
        // Given two good images, a truncated JPEG, a text file named .jpg and a path that does not exist
        using var temp = new TempFolder();
        var good = TinyRun.Result.Split.Entries.Take(2).Select(e => e.Path).ToArray();
        var truncated = temp.Write("truncated.jpg", TestImages.Jpeg(3, 64, 64)[..300]);
        var text = temp.Write("notes.jpg", "not an image"u8.ToArray());
        var missing = Path.Combine(temp.Path, "missing.png");

        // When they are predicted in one stream
        using var predictor = Predictor.Load(TinyRun.Result.Files.Best, new PredictorOptions(BatchSize: 4));
        var results = predictor.Predict([good[0], truncated, text, missing, good[1]]).ToList();

        // Then every input has a result in order: the good ones predicted (as when alone), the others with the reason
        Assert.Equal([good[0], truncated, text, missing, good[1]], results.Select(r => r.Path));
        Assert.True(results[0].Succeeded && results[4].Succeeded);
        Assert.Equal(predictor.Predict(good[0]).Probabilities, results[0].Probabilities);
        Assert.Contains("truncated", results[1].Error, StringComparison.Ordinal);
        Assert.Contains("not an image", results[2].Error, StringComparison.Ordinal);
        Assert.Contains("missing.png", results[3].Error, StringComparison.Ordinal);
        Assert.All(results.Skip(1).Take(3), r => { Assert.False(r.Succeeded); Assert.Null(r.Label); Assert.Empty(r.Top(3)); });
        Assert.Equal(1f, results[0].Probabilities!.Sum(), 4);
        Assert.Equal(results[0].Label, results[0].Top(2)[0].Label);
    }

    [Fact]
    public void Should_give_the_same_results_when_called_from_many_threads_at_once()
    {
        // Given one predictor and the run's images
        var paths = TinyRun.Result.Split.Entries.Select(e => e.Path).Take(24).ToList();
        using var predictor = Predictor.Load(TinyRun.Folder, new PredictorOptions(BatchSize: 8, Workers: 2));
        var expected = predictor.Predict(paths).Select(r => r.Probabilities).ToList();

        // When six threads predict the same stream and single images concurrently
        var streams = new List<float[]?>[6];
        Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, t =>
            streams[t] = t % 2 == 0 ? predictor.Predict(paths).Select(r => r.Probabilities).ToList() : [.. paths.Select(p => predictor.Predict(p).Probabilities)]);

        // Then every thread got the sequential results (batch streams bit-identical, single images to float precision)
        foreach (var stream in streams.Where((_, t) => t % 2 == 0)) Assert.Equal(expected, stream);
        foreach (var stream in streams.Where((_, t) => t % 2 == 1))
            for (int i = 0; i < paths.Count; i++)
                for (int c = 0; c < expected[i]!.Length; c++) Assert.Equal(expected[i]![c], stream[i]![c], 5);
    }

    [Fact]
    public void Should_average_an_image_with_its_mirror_under_test_time_augmentation()
    {
        // Given an image and its left-right mirror written as a file
        using var temp = new TempFolder();
        var original = TinyRun.Result.Split.Entries[0].Path;
        using (var bitmap = SKBitmap.Decode(original))
        using (var mirrored = new SKBitmap(bitmap.Info))
        {
            for (int y = 0; y < bitmap.Height; y++)
                for (int x = 0; x < bitmap.Width; x++) mirrored.SetPixel(bitmap.Width - 1 - x, y, bitmap.GetPixel(x, y));
            temp.Write("mirrored.png", TestImages.Encode(mirrored, SKEncodedImageFormat.Png));
        }

        // When it is predicted with and without test-time augmentation
        using var plain = Predictor.Load(TinyRun.Folder);
        using var tta = Predictor.Load(TinyRun.Folder, new PredictorOptions(FlipHorizontal: true));
        var p = plain.Predict(original).Probabilities!;
        var m = plain.Predict(Path.Combine(temp.Path, "mirrored.png")).Probabilities!;
        var averaged = tta.Predict(original).Probabilities!;

        // Then the augmented probabilities are the mean of the image's and the mirror's
        Assert.NotEqual(p, m);
        for (int c = 0; c < p.Length; c++) Assert.Equal((p[c] + m[c]) / 2, averaged[c], 3);
    }
}
