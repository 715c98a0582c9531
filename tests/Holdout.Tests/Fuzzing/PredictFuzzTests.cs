using Holdout.Imaging;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Native;

namespace Holdout.Tests.Fuzzing;

/// <summary>Prediction over the bad-image corpus: one result per file, an error for each unusable one, never an exception.</summary>
[Collection(NativeCollection.Name)]
public sealed class PredictFuzzTests
{
    public PredictFuzzTests() => NativeRuntime.EnsureInitialized();

    [Fact]
    public void Should_predict_or_report_every_file_of_the_bad_image_corpus()
    {
        // Given the corpus and a small model, predicted in batches on two workers
        using var folder = new TempFolder();
        var corpus = BadImageCorpus.Entries();
        var paths = corpus.Select(e => folder.Write(e.FileName, e.Bytes)).ToList();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["a", "b"], 32, ModelOptions.NoWeights));
        using var predictor = new Predictor(model, new PredictorOptions(BatchSize: 8, Workers: 2));

        // When every file is predicted
        List<ImagePrediction> results = [];
        using (ImageLimits.Use(BadImageCorpus.MaxPixels))
        {
            FuzzHarness.RunAll([("predict", () => results = predictor.Predict(paths).ToList())], (4 * BadImageCorpus.MaxPixels) + (256L << 20));
        }

        // Then there is one result per file, in order: a prediction for the readable ones, an error for the refused ones
        Assert.Equal(paths, results.Select(r => r.Path));
        for (var i = 0; i < corpus.Count; i++)
        {
            var (entry, result) = (corpus[i], results[i]);
            if (entry.ReasonStart is null)
            {
                Assert.True(result.Succeeded, $"{entry.FileName}: {result.Error}");
            }
            else if (entry.ReasonStart.Length > 0)
            {
                Assert.False(result.Succeeded, entry.FileName);
                Assert.Contains(entry.ReasonStart, result.Error, StringComparison.Ordinal);
            }
            Assert.True(result.Succeeded || !string.IsNullOrWhiteSpace(result.Error), entry.FileName);
        }
    }
}
