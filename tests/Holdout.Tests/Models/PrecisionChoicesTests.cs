using Holdout.Models;
using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class PrecisionChoicesTests
{
    private static readonly string[] Classes = ["a", "b"];

    [Theory]
    [InlineData(1.00, 0.50, Precision.Bf16)] // twice as fast: bf16
    [InlineData(1.00, 0.90, Precision.Bf16)] // exactly 10 % faster: still worth it
    [InlineData(1.00, 0.95, Precision.Fp32)] // 5 % faster: not worth bf16's rounding
    [InlineData(1.90, 2.60, Precision.Fp32)] // slower (the Xeon of issue 25: 2.6 s against 1.9 s)
    [InlineData(0.00, 0.50, Precision.Fp32)] // a timing that failed decides nothing
    public void Should_keep_bfloat16_only_when_it_is_at_least_ten_percent_faster(double fp32, double bf16, Precision expected) =>
        Assert.Equal(expected, PrecisionChoices.Decide(fp32, bf16));

    [Fact]
    public void Should_measure_auto_once_per_shape_keep_it_in_the_cache_and_leave_explicit_requests_alone()
    {
        // Given a model, a cache folder and a timing that says bf16 takes 0.4 s against fp32's 1.0 s
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, Classes, 16, "none"));
        int timed = 0;
        PrecisionChoices.Timings Fast(ImageClassifier m, PrecisionWorkload w, int b, int s) { timed++; return new(1.0, 0.4); }
        PrecisionChoices.Timings Slow(ImageClassifier m, PrecisionWorkload w, int b, int s) { timed++; return new(1.0, 1.3); }

        using (PrecisionChoices.Use(temp.Path))
        {
            PrecisionChoices.ForgetMeasured();
            // When auto is chosen for a shape, for the same shape again, and in a new process (memory forgotten)
            var first = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Training, 5, 16, Fast);
            var again = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Training, 5, 16, Fast);
            PrecisionChoices.ForgetMeasured();
            var later = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Training, 5, 16, Fast);
            // and for another workload, and with an explicit request
            var inference = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Inference, 5, 16, Slow);
            var explicitly = PrecisionChoices.Choose(model, Precision.Fp32, PrecisionWorkload.Training, 5, 16, Fast);

            // Then the shape was timed once; the decision, both timings and where they came from are reported
            Assert.Equal(2, timed);
            Assert.Equal((Precision.Bf16, Precision.Auto, 1.0, 0.4, false), (first.Precision, first.Requested, first.Fp32Seconds!.Value, first.Bf16Seconds!.Value, first.FromCache));
            Assert.Contains("takes 0.400 s in bf16, 1.000 s in fp32", first.Reason, StringComparison.Ordinal);
            Assert.Equal((Precision.Bf16, true), (again.Precision, again.FromCache));
            Assert.Equal((Precision.Bf16, true, 0.4), (later.Precision, later.FromCache, later.Bf16Seconds!.Value));
            Assert.Equal(Precision.Fp32, inference.Precision);
            Assert.Contains("at least 10% faster", inference.Reason, StringComparison.Ordinal);
            Assert.Equal((Precision.Fp32, false), (explicitly.Precision, explicitly.Measured));

            // and the cache lists both decisions, newest first, as holdout env shows them
            var cached = PrecisionChoices.Cached();
            Assert.Equal(2, cached.Count);
            Assert.Equal(("inference", "fp32"), (cached[0].Workload, cached[0].Precision));
            Assert.Equal(("training", "bf16", 5, 16), (cached[1].Workload, cached[1].Precision, cached[1].BatchSize, cached[1].ImageSize));
            Assert.Equal(EngineInfo.DescribeProcessor(), cached[1].Processor);
        }
        PrecisionChoices.ForgetMeasured();
    }

    [Fact]
    public void Should_ignore_a_damaged_cache_file_and_replace_it()
    {
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        File.WriteAllText(Path.Combine(temp.Path, "precision.json"), "{ not json");
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, Classes, 16, "none"));
        using (PrecisionChoices.Use(temp.Path))
        {
            PrecisionChoices.ForgetMeasured();
            Assert.Empty(PrecisionChoices.Cached());
            var choice = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Inference, 3, 16, (_, _, _, _) => new(2.0, 1.0));
            Assert.Equal(Precision.Bf16, choice.Precision);
            Assert.Single(PrecisionChoices.Cached());
        }
        PrecisionChoices.ForgetMeasured();
    }

    [NativeBf16Fact]
    public void Should_time_the_model_without_changing_its_weights_gradients_mode_precision_or_random_stream()
    {
        // Given a model in training mode with one parameter frozen, and a seeded random stream
        NativeRuntime.EnsureInitialized();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, Classes, 24, "none"));
        model.train();
        var frozen = model.parameters().First();
        frozen.requires_grad = false;
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        manual_seed(7);
        using var expected = rand(5);
        manual_seed(7);
        PrecisionChoices.ForgetMeasured();

        // When auto is timed for training and for inference (no cache scope: memory only)
        var training = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Training, 4, 24);
        var inference = PrecisionChoices.Choose(model, Precision.Auto, PrecisionWorkload.Inference, 4, 24);
        using var drawn = rand(5);

        // Then both precisions were timed, and the model is as it was: weights, no gradients, mode, frozen flag, precision
        Assert.True(training.Measured && training.Fp32Seconds > 0 && training.Bf16Seconds > 0, training.Reason);
        Assert.True(inference.Measured && inference.Fp32Seconds > 0 && inference.Bf16Seconds > 0, inference.Reason);
        Assert.Equal(PrecisionChoices.Decide(training.Fp32Seconds!.Value, training.Bf16Seconds!.Value), training.Precision);
        Assert.All(model.state_dict(), kv => Assert.True(before[kv.Key].allclose(kv.Value, rtol: 0, atol: 0), kv.Key));
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
        Assert.True(model.training);
        Assert.False(frozen.requires_grad);
        Assert.Equal(Precision.Fp32, model.Precision);
        Assert.True(expected.allclose(drawn, rtol: 0, atol: 0), "timing drew from the seeded random stream");
        PrecisionChoices.ForgetMeasured();
    }
}
