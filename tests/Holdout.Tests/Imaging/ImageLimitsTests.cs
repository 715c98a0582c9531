using Holdout.Data;
using Holdout.Imaging;
using Holdout.Tests.Fuzzing;
using SkiaSharp;

namespace Holdout.Tests.Imaging;

public sealed class ImageLimitsTests
{
    public static TheoryData<string, byte[], string> Bombs() => new()
    {
        // A header that claims a huge size, then (almost) no data: what a decompression bomb looks like to the decoder.
        { "png", HostileImages.Png(30000, 30000, rows: 1), "30000x30000 = 900.0 megapixels" },
        { "jpeg", HostileImages.FlatJpeg(20000, 20000, blocks: 10), "20000x20000 = 400.0 megapixels" },
        { "gif", HostileImages.Gif(65535, 65535, [new HostileImages.GifFrame(0, 0, 1, 1, (_, _) => 0)]), "65535x65535 = 4294.8 megapixels" },
        { "bmp", HostileImages.Bmp(20000, 10000, (_, _) => 0, rows: 1), "20000x10000 = 200.0 megapixels" },
        { "webp", HostileImages.WebpClaiming(16383, 16383), "16383x16383 = 268.4 megapixels" },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void Should_refuse_a_decompression_bomb_from_its_header_with_its_dimensions(string format, byte[] bomb, string dimensions)
    {
        // Given a file whose header claims more pixels than the default limit (179 megapixels)
        // When it is opened
        var opened = ImageSource.TryOpen(format, bomb, out var source, out var reason);

        // Then it is refused before anything is decoded, with its dimensions, the limit and the option to change it
        source?.Dispose();
        Assert.False(opened);
        Assert.Equal($"too large: {dimensions}, over the limit of 179.0 (--max-pixels)", reason);
    }

    [Fact]
    public void Should_skip_a_decompression_bomb_during_discovery_and_still_split_the_rest()
    {
        // Given three classes of ordinary pictures and a 30000x30000 PNG among them
        using var data = new TempFolder();
        for (var i = 0; i < 9; i++)
        {
            data.Write($"{"abc"[i % 3]}/{i}.jpg", TestImages.Jpeg(i));
        }
        var bomb = data.Write("a/bomb.png", HostileImages.Png(30000, 30000, rows: 1));

        // When the dataset is discovered and split
        var dataset = DatasetDiscovery.Discover(data.Path);
        var split = Splitter.Split(dataset);

        // Then the bomb is skipped with its size and everything else is split
        var skipped = Assert.Single(dataset.Skipped);
        Assert.Equal(bomb, skipped.Path);
        Assert.Equal("too large: 30000x30000 = 900.0 megapixels, over the limit of 179.0 (--max-pixels)", skipped.Reason);
        Assert.Equal(9, split.Manifest.Entries.Count);
    }

    [Fact]
    public void Should_apply_a_changed_limit_to_discovery_and_its_workers_until_the_scope_ends()
    {
        // Given 64x48 pictures (3072 pixels each)
        using var data = new TempFolder();
        data.Write("a/1.png", TestImages.Png(1));
        data.Write("b/2.jpg", TestImages.Jpeg(2));

        // When the limit is lowered to 3000 pixels for a block, and the options give one explicitly
        ImageDataset lowered, explicitLimit;
        using (ImageLimits.Use(3000))
        {
            Assert.Equal(3000, ImageLimits.MaxPixels);
            lowered = DatasetDiscovery.Discover(data.Path, new DiscoveryOptions(Workers: 2));
            explicitLimit = DatasetDiscovery.Discover(data.Path, new DiscoveryOptions(MaxPixels: 3072));
        }
        var after = DatasetDiscovery.Discover(data.Path);

        // Then the scoped limit reaches the worker threads, the options win over it, and the default comes back
        Assert.Empty(lowered.Samples);
        Assert.All(lowered.Skipped, s => Assert.Equal("too large: 64x48 = 0.003 megapixels, over the limit of 0.003 (--max-pixels)", s.Reason));
        Assert.Equal(2, explicitLimit.Samples.Count);
        Assert.Equal(ImageLimits.DefaultMaxPixels, ImageLimits.MaxPixels);
        Assert.Equal(2, after.Samples.Count);
    }

    [Fact]
    public void Should_refuse_a_limit_below_one_pixel_naming_the_option()
    {
        var error = Assert.Throws<HoldoutException>(() => ImageLimits.Use(0));
        Assert.Contains("--max-pixels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_an_image_over_the_limit_when_the_loader_meets_it()
    {
        // Given a sample list that names an image over an explicit limit (as a split.csv made with a higher one could)
        using var data = new TempFolder();
        var path = data.Write("a/big.png", TestImages.Png(1, 64, 64));
        var loader = BatchLoader.ForEvaluation([new ImageSample(path, 0)], Preprocessing.Scratch(32), new BatchLoaderOptions(MaxPixels: 1000));

        // When its batch is loaded
        var error = Assert.Throws<HoldoutException>(() => loader.RawBatches(0).First());

        // Then the error names the file and why
        Assert.Contains("big.png", error.Message, StringComparison.Ordinal);
        Assert.Contains("too large: 64x64", error.Message, StringComparison.Ordinal);
    }
}
