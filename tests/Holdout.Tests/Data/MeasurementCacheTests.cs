using Holdout.Data;
using Holdout.Imaging;

namespace Holdout.Tests.Data;

public sealed class MeasurementCacheTests
{
    [Fact]
    public void Should_reuse_the_measurements_of_unchanged_files_and_measure_changed_ones_again()
    {
        // Given a dataset discovered once with a cache
        using var data = new TempFolder();
        using var cacheFolder = new TempFolder();
        var kept = data.Write("a/kept.png", TestImages.Png(1));
        var replaced = data.Write("a/replaced.png", TestImages.Png(2));
        data.Write("b/other.png", TestImages.Png(3));
        ImageDataset first, second;
        using (MeasurementCache.Use(cacheFolder.Path))
        {
            first = DatasetDiscovery.Discover(data.Path);
            Assert.Single(Directory.GetFiles(cacheFolder.Path));

            // When one file is overwritten with another picture, and another with garbage of the same size and date
            // (a change the cache cannot see, to show it was used), and the dataset is discovered again
            File.WriteAllBytes(replaced, TestImages.Png(4, 80, 60));
            var stamp = File.GetLastWriteTimeUtc(kept);
            File.WriteAllBytes(kept, new byte[new FileInfo(kept).Length]);
            File.SetLastWriteTimeUtc(kept, stamp);
            second = DatasetDiscovery.Discover(data.Path);
        }

        // Then the unchanged-looking file comes from the cache and the replaced one is measured anew
        Assert.Empty(second.Skipped);
        Assert.Equal(first.Properties[kept], second.Properties[kept]);
        Assert.Equal((80, 60), (second.Properties[replaced].Width, second.Properties[replaced].Height));
        Assert.NotEqual(first.Properties[replaced].Fingerprint.PixelHash, second.Properties[replaced].Fingerprint.PixelHash);
    }

    [Fact]
    public void Should_ignore_a_corrupt_cache_file_and_apply_the_current_pixel_limit_to_cached_entries()
    {
        // Given a dataset discovered once with a cache, whose cache file is then overwritten with garbage
        using var data = new TempFolder();
        using var cacheFolder = new TempFolder();
        data.Write("a/1.png", TestImages.Png(1));
        data.Write("b/2.png", TestImages.Png(2));
        using (MeasurementCache.Use(cacheFolder.Path))
        {
            DatasetDiscovery.Discover(data.Path);
            var file = Assert.Single(Directory.GetFiles(cacheFolder.Path));
            File.WriteAllBytes(file, [.. "HOLDOUT-MEASUREMENTS"u8, 1, 0, 0, 0, 255, 255, 255, 127, 7]);

            // When it is discovered again (the corrupt cache), then again with a limit below the images' 3072 pixels
            var afterCorruption = DatasetDiscovery.Discover(data.Path);
            var limited = DatasetDiscovery.Discover(data.Path, new DiscoveryOptions(MaxPixels: 3000));

            // Then the corrupt cache is ignored and rewritten, and cached images still meet the limit
            Assert.Equal(2, afterCorruption.Samples.Count);
            Assert.True(new FileInfo(file).Length > 100);
            Assert.Empty(limited.Samples);
            Assert.All(limited.Skipped, s => Assert.StartsWith("too large: 64x48", s.Reason, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Should_keep_only_the_most_recently_written_datasets_in_the_cache_folder()
    {
        // Given a cache folder already holding the files of many other datasets, written earlier
        using var data = new TempFolder();
        using var cacheFolder = new TempFolder();
        data.Write("a/1.png", TestImages.Png(1));
        for (var i = 0; i < MeasurementCache.MaxFiles + 5; i++)
        {
            File.SetLastWriteTimeUtc(cacheFolder.Write($"old-{i}.bin", [1]), DateTime.UtcNow.AddDays(-1 - i));
        }

        // When a dataset is discovered with the cache
        using (MeasurementCache.Use(cacheFolder.Path))
        {
            DatasetDiscovery.Discover(data.Path);
        }

        // Then the folder keeps the newest files, this dataset's among them
        var files = Directory.GetFiles(cacheFolder.Path).Select(Path.GetFileName).ToList();
        Assert.Equal(MeasurementCache.MaxFiles, files.Count);
        Assert.Contains(files, f => !f!.StartsWith("old-", StringComparison.Ordinal));
        Assert.DoesNotContain($"old-{MeasurementCache.MaxFiles + 4}.bin", files);
    }

    [Fact]
    public void Should_cache_nothing_without_a_scope()
    {
        Assert.Null(MeasurementCache.Folder);
        using var cacheFolder = new TempFolder();
        using (MeasurementCache.Use(cacheFolder.Path))
        {
            Assert.Equal(cacheFolder.Path, MeasurementCache.Folder);
        }
        Assert.Null(MeasurementCache.Folder);
    }
}
