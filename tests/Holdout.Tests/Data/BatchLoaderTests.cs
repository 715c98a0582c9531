using Holdout.Data;
using Holdout.Imaging;

namespace Holdout.Tests.Data;

public sealed class BatchLoaderTests : IClassFixture<BatchLoaderTests.Images>
{
    /// <summary>23 small JPEG/PNG images in two classes, written once for the class.</summary>
    public sealed class Images : IDisposable
    {
        private readonly TempFolder _folder = new();

        public Images()
        {
            var samples = new List<ImageSample>();
            for (var i = 0; i < 23; i++)
            {
                var path = i % 3 == 0
                    ? _folder.Write($"{i}.png", TestImages.Png(i, 40 + i, 30 + i))
                    : _folder.Write($"{i}.jpg", TestImages.Jpeg(i, 50 + 2 * i, 36 + i));
                samples.Add(new ImageSample(path, i % 2));
            }
            Samples = samples;
        }

        public IReadOnlyList<ImageSample> Samples { get; }

        public void Dispose() => _folder.Dispose();
    }

    private static readonly Preprocessing Small = Preprocessing.ImageNetTorchvision(16);
    private readonly Images _images;

    public BatchLoaderTests(Images images) => _images = images;

    private static List<(float[] Images, long[] Labels, int[] Indices)> Collect(BatchLoader loader, int epoch) =>
        loader.RawBatches(epoch).Select(b => ((float[])b.Images.Clone(), (long[])b.Labels.Clone(), (int[])b.Indices.Clone())).ToList();

    [Theory]
    [InlineData(1, false)]
    [InlineData(4, false)]
    [InlineData(4, true)]
    public void Should_keep_every_sample_once_per_epoch(int workers, bool dropLast)
    {
        // Given a training loader over 23 samples, batch 5
        var loader = BatchLoader.ForTraining(_images.Samples, Small,
            new BatchLoaderOptions(BatchSize: 5, Workers: workers, DropLast: dropLast, Augmentation: AugmentationOptions.Standard, Seed: 3));

        // When two epochs are read
        var first = Collect(loader, 0);
        var second = Collect(loader, 1);

        // Then each epoch holds every sample exactly once (or all but the dropped partial batch), with the right labels,
        // in a different order each epoch
        foreach (var epoch in new[] { first, second })
        {
            var indices = epoch.SelectMany(b => b.Indices).ToList();
            Assert.Equal(indices.Count, indices.Distinct().Count());
            Assert.Equal(dropLast ? 20 : 23, indices.Count);
            Assert.Equal(dropLast ? 4 : 5, epoch.Count);
            Assert.Equal(loader.BatchCount, epoch.Count);
            if (!dropLast)
            {
                Assert.Equal(3, epoch[^1].Indices.Length);
            }
            Assert.All(epoch, b => Assert.Equal(b.Indices.Select(i => (long)(i % 2)), b.Labels));
            Assert.All(epoch, b => Assert.Equal(b.Indices.Length * 3 * 16 * 16, b.Images.Length));
        }
        Assert.NotEqual(first.SelectMany(b => b.Indices), second.SelectMany(b => b.Indices));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Should_cover_every_evaluation_sample_once_in_a_fixed_order_with_the_partial_batch(int workers)
    {
        // Given an evaluation loader (batch 5 over 23 samples); augmentation and drop-last are ignored
        var loader = BatchLoader.ForEvaluation(_images.Samples, Small,
            new BatchLoaderOptions(BatchSize: 5, Workers: workers, DropLast: true, Augmentation: AugmentationOptions.Standard));

        // When epochs 0 and 7 are read
        var first = Collect(loader, 0);
        var later = Collect(loader, 7);

        // Then both are samples 0..22 in order, the last batch holding 3, with identical pixels
        Assert.Equal(Enumerable.Range(0, 23), first.SelectMany(b => b.Indices));
        Assert.Equal(5, first.Count);
        Assert.Equal(3, first[^1].Indices.Length);
        Assert.Equal(first.SelectMany(b => b.Images), later.SelectMany(b => b.Images));
    }

    [Fact]
    public void Should_give_the_same_evaluation_batches_from_concurrent_callers()
    {
        // Given one evaluation loader
        var loader = BatchLoader.ForEvaluation(_images.Samples, Small, new BatchLoaderOptions(BatchSize: 4, Workers: 2));

        // When two threads read it at the same time
        var results = new float[2][];
        Parallel.For(0, 2, t => results[t] = Collect(loader, t).SelectMany(b => b.Images).ToArray());

        // Then they get identical values
        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public void Should_give_bit_identical_batches_for_one_seed_whatever_the_worker_count()
    {
        // Given two training loaders with the same seed and standard augmentation, one with 1 worker, one with 4
        BatchLoader Make(int workers, long seed) => BatchLoader.ForTraining(_images.Samples, Small,
            new BatchLoaderOptions(BatchSize: 4, Workers: workers, Augmentation: AugmentationOptions.Standard, Seed: seed));

        // When each reads epoch 2
        var one = Collect(Make(1, 11), 2);
        var four = Collect(Make(4, 11), 2);
        var otherSeed = Collect(Make(4, 12), 2);

        // Then order and every float are the same; another seed changes them
        Assert.Equal(one.SelectMany(b => b.Indices), four.SelectMany(b => b.Indices));
        Assert.True(one.SelectMany(b => b.Images).SequenceEqual(four.SelectMany(b => b.Images)), "images differ between 1 and 4 workers");
        Assert.False(one.SelectMany(b => b.Images).SequenceEqual(otherSeed.SelectMany(b => b.Images)));
    }

    [Fact]
    public void Should_augment_differently_each_epoch_but_never_in_evaluation()
    {
        // Given the same sample in a training loader (standard augmentation) and an evaluation loader
        var one = new[] { _images.Samples[1] };
        var training = BatchLoader.ForTraining(one, Small, new BatchLoaderOptions(Augmentation: AugmentationOptions.Standard));
        var evaluation = BatchLoader.ForEvaluation(one, Small);

        // When epochs 0 and 1 are read
        var train0 = Collect(training, 0)[0].Images;
        var train1 = Collect(training, 1)[0].Images;
        var eval0 = Collect(evaluation, 0)[0].Images;

        // Then training pixels change between epochs and differ from the evaluation pixels
        Assert.NotEqual(train0, train1);
        Assert.NotEqual(train0, eval0);
    }

    [Fact]
    public void Should_normalise_with_the_preprocessing_only_in_its_channel_order()
    {
        // Given a uniform image of RGB (200, 100, 50), and the CNTK preprocessing (BGR, 0..255, minus means)
        using var folder = new TempFolder();
        var path = folder.Write("flat.png", TestImages.RawPng(20, 20, 2, 8, (_, _) => [200, 100, 50]));
        var cntk = Preprocessing.CntkResNet(8);
        var torchvision = Preprocessing.ImageNetTorchvision(8);

        // When it is prepared for each model
        var bgr = ModelInput.FromFile(path, cntk);
        var rgb = ModelInput.FromFile(path, torchvision);

        // Then each channel is (value x scale - mean) / std in the model's order, not rescaled by the image's range
        Assert.All(bgr[..64], v => Assert.Equal(50 - 103.06f, v, 3));
        Assert.All(bgr[64..128], v => Assert.Equal(100 - 115.90f, v, 3));
        Assert.All(bgr[128..], v => Assert.Equal(200 - 123.15f, v, 3));
        Assert.All(rgb[..64], v => Assert.Equal((200 / 255f - 0.485f) / 0.229f, v, 4));
        Assert.All(rgb[128..], v => Assert.Equal((50 / 255f - 0.406f) / 0.225f, v, 4));
    }

    [Fact]
    public void Should_resize_the_shorter_side_to_size_over_0_875_then_centre_crop_for_evaluation()
    {
        // Given a 64x48 white image with a red frame 2 pixels wide (inside the part a centre crop of 0.875 x 48 = 42 removes)
        using var folder = new TempFolder();
        var path = folder.Write("framed.png", TestImages.RawPng(64, 48, 2, 8,
            (x, y) => x < 2 || y < 2 || x >= 62 || y >= 46 ? [255, 0, 0] : [255, 255, 255]));
        var unit = new Preprocessing(16, ColorOrder.Rgb, ValueScale.Byte, [0f, 0f, 0f], [1f, 1f, 1f]);

        // When it is prepared with the default (resize + centre crop) and with a plain resize
        var cropped = ModelInput.FromFile(path, unit);
        var stretched = ModelInput.FromFile(path, unit with { EvalResize = EvalResize.Stretch });

        // Then the crop shows no red frame, while the plain resize keeps it at the border
        Assert.All(cropped[256..], v => Assert.Equal(255f, v)); // green and blue planes all white
        Assert.True(stretched[256] < 128f, $"green at the top-left corner of the stretched image is {stretched[256]}");
    }

    [Fact]
    public void Should_keep_the_exact_pixels_of_a_whole_pixel_centre_crop_and_mirror_them_when_flipped()
    {
        // Given a 32x32 image whose red channel is 8x and green channel 8y (0.875 x 32 = 28: a 2-pixel border is cut)
        using var folder = new TempFolder();
        var path = folder.Write("ramp.png", TestImages.RawPng(32, 32, 2, 8, (x, y) => [8 * x, 8 * y, 100]));
        var raw = new Preprocessing(28, ColorOrder.Rgb, ValueScale.Byte, [0f, 0f, 0f], [1f, 1f, 1f]);
        var sample = new[] { new ImageSample(path, 0) };

        // When it is prepared for evaluation, and for training with a certain horizontal flip and nothing else
        var plain = ModelInput.FromFile(path, raw);
        var flipped = Collect(BatchLoader.ForTraining(sample, raw,
            new BatchLoaderOptions(Augmentation: new AugmentationOptions(HorizontalFlipProbability: 1))), 0)[0].Images;

        // Then the evaluation input is the source pixels [2, 30) exactly, and the flip mirrors them
        for (var y = 0; y < 28; y++)
        {
            for (var x = 0; x < 28; x++)
            {
                Assert.Equal(8f * (x + 2), plain[y * 28 + x]);
                Assert.Equal(8f * (y + 2), plain[784 + y * 28 + x]);
                Assert.Equal(8f * (27 - x + 2), flipped[y * 28 + x]);
            }
        }
    }

    [Fact]
    public void Should_report_a_file_that_became_unreadable_with_its_path()
    {
        // Given an evaluation loader over a file that is emptied after discovery
        using var folder = new TempFolder();
        var good = folder.Write("good.jpg", TestImages.Jpeg(1));
        var gone = folder.Write("gone.jpg", []);
        var loader = BatchLoader.ForEvaluation([new ImageSample(good, 0), new ImageSample(gone, 1)], Small, new BatchLoaderOptions(BatchSize: 1, Workers: 2));

        // When the batches are read
        var error = Assert.Throws<HoldoutException>(() => loader.RawBatches(0).ToList());

        // Then the error names the file and the reason
        Assert.Contains("gone.jpg", error.Message, StringComparison.Ordinal);
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_weigh_classes_inversely_to_their_frequency()
    {
        var weights = ClassWeights.InverseFrequency([30, 10, 20]);
        Assert.Equal([60f / 90, 60f / 30, 60f / 60], weights);
    }
}

[Collection(NativeCollection.Name)]
public sealed class BatchLoaderTensorTests
{
    [Fact]
    public void Should_yield_float_image_tensors_and_int64_labels_of_the_batch_shape()
    {
        // Given an evaluation loader over 5 images, batch 2
        Holdout.Native.NativeRuntime.EnsureInitialized();
        using var folder = new TempFolder();
        var samples = Enumerable.Range(0, 5).Select(i => new ImageSample(folder.Write($"{i}.jpg", TestImages.Jpeg(i)), i % 3)).ToList();
        var preprocessing = Preprocessing.ImageNetTorchvision(12);
        var loader = BatchLoader.ForEvaluation(samples, preprocessing, new BatchLoaderOptions(BatchSize: 2, Workers: 2));

        // When the batches are read inside a dispose scope
        using var scope = TorchSharp.torch.NewDisposeScope();
        var batches = loader.Batches(0).ToList();

        // Then shapes are [2,3,12,12], [2,...], [1,...]; the tensor values match the single-image path exactly
        Assert.Equal([2L, 2L, 1L], batches.Select(b => b.Images.shape[0]));
        Assert.Equal([2L, 3L, 12L, 12L], batches[0].Images.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, batches[0].Labels.dtype);
        Assert.Equal([0L, 1L], batches[0].Labels.data<long>().ToArray());
        var single = ModelInput.FromFile(samples[4].Path, preprocessing);
        Assert.Equal(single, batches[2].Images.data<float>().ToArray());
    }
}
