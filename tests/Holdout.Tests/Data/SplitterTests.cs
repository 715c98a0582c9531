using Holdout.Data;

namespace Holdout.Tests.Data;

public sealed class SplitterTests
{
    /// <summary>Three classes of 40, 23 and 17 distinct images.</summary>
    private static ImageDataset ThreeClasses(TempFolder data)
    {
        var seed = 100;
        foreach (var (label, count) in new[] { ("a", 40), ("b", 23), ("c", 17) })
        {
            for (var i = 0; i < count; i++)
            {
                data.Write($"{label}/{i:D3}.png", TestImages.Png(seed++, 24, 24));
            }
        }
        return DatasetDiscovery.Discover(data.Path);
    }

    [Fact]
    public void Should_stratify_each_class_within_one_image_of_70_15_15()
    {
        // Given three classes of different sizes
        using var data = new TempFolder();
        var dataset = ThreeClasses(data);

        // When it is split with the defaults
        var result = Splitter.Split(dataset);

        // Then every class has each split's share within one image, and every image is in exactly one split
        var counts = result.Manifest.Counts();
        var totals = dataset.CountsPerClass();
        for (var c = 0; c < totals.Length; c++)
        {
            Assert.InRange(counts[c, 0], totals[c] * 0.70 - 1, totals[c] * 0.70 + 1);
            Assert.InRange(counts[c, 1], totals[c] * 0.15 - 1, totals[c] * 0.15 + 1);
            Assert.InRange(counts[c, 2], totals[c] * 0.15 - 1, totals[c] * 0.15 + 1);
            Assert.Equal(totals[c], counts[c, 0] + counts[c, 1] + counts[c, 2]);
        }
        Assert.Equal(dataset.Samples.Count, result.Manifest.Entries.Select(e => e.Path).Distinct().Count());
        Assert.Equal(0L, result.Manifest.Seed);
    }

    [Fact]
    public void Should_give_the_same_split_for_the_same_seed_and_a_different_one_for_another()
    {
        // Given one dataset
        using var data = new TempFolder();
        var dataset = ThreeClasses(data);

        // When it is split twice with seed 7 and once with seed 8
        static string Key(SplitResult r) => string.Join("\n", r.Manifest.Entries.Select(e => $"{e.Path}:{e.Split}"));
        var first = Key(Splitter.Split(dataset, new SplitOptions(Seed: 7)));
        var second = Key(Splitter.Split(dataset, new SplitOptions(Seed: 7)));
        var other = Key(Splitter.Split(dataset, new SplitOptions(Seed: 8)));

        // Then the same seed gives the same assignment and another seed a different one
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Should_keep_re_encoded_and_resized_copies_in_the_split_of_their_original()
    {
        // Given 20 distinct images per class, plus for 6 of them a JPEG q75 re-encode and a 0.8x resize in the same class
        using var data = new TempFolder();
        var originals = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var label = i < 20 ? "a" : "b";
            var bytes = TestImages.Jpeg(500 + i, 80, 60);
            var path = data.Write($"{label}/{i:D3}.jpg", bytes);
            if (i % 7 == 0)
            {
                originals.Add(path);
                data.Write($"{label}/{i:D3}-q75.jpg", TestImages.Reencoded(bytes, 75));
                data.Write($"{label}/{i:D3}-small.jpg", TestImages.ResizedJpeg(bytes, 0.8));
            }
        }
        var dataset = DatasetDiscovery.Discover(data.Path);

        foreach (var seed in new long[] { 0, 1, 2, 3 })
        {
            // When it is split (several seeds)
            var result = Splitter.Split(dataset, new SplitOptions(Seed: seed));

            // Then each original and its two copies form one near-duplicate group and share one split
            Assert.Equal(originals.Count, result.Duplicates.Groups.Count);
            Assert.All(result.Duplicates.Groups, g => Assert.Equal(3, g.Members.Count));
            Assert.All(result.Duplicates.Groups, g => Assert.Equal(DuplicateKind.Near, g.Kind));
            var splitOf = result.Manifest.Entries.ToDictionary(e => e.Path, e => e.Split);
            foreach (var original in originals)
            {
                var stem = original[..^4];
                Assert.Equal(splitOf[original], splitOf[stem + "-q75.jpg"]);
                Assert.Equal(splitOf[original], splitOf[stem + "-small.jpg"]);
            }
            Assert.Empty(result.CrossSplitGroups);
        }
    }

    [Fact]
    public void Should_group_exact_duplicates()
    {
        // Given the same PNG twice under two names, among others
        using var data = new TempFolder();
        for (var i = 0; i < 10; i++)
        {
            data.Write($"a/{i}.png", TestImages.Png(i, 24, 24));
        }
        data.Write("a/copy.png", TestImages.Png(3, 24, 24));

        // When duplicates are searched
        var dataset = DatasetDiscovery.Discover(data.Path);
        var groups = DuplicateFinder.Find(dataset.Samples.Select(s => s.Path).ToList());

        // Then the two form one exact group at distance 0
        var group = Assert.Single(groups.Groups);
        Assert.Equal(DuplicateKind.Exact, group.Kind);
        Assert.Equal(0, group.MaxDifferenceHashDistance);
        Assert.Equal(["3.png", "copy.png"], group.Members.Select(m => Path.GetFileName(dataset.Samples[m].Path)).Order());
    }

    [Fact]
    public void Should_split_with_the_fingerprints_discovery_measured_without_decoding_again()
    {
        // Given a dataset with one exact copy, discovered (one decode per file, which measures it)
        using var data = new TempFolder();
        for (var i = 0; i < 12; i++)
        {
            data.Write($"{"ab"[i % 2]}/{i}.png", TestImages.Png(i, 24, 24));
        }
        data.Write("a/copy.png", TestImages.Png(4, 24, 24));
        var dataset = DatasetDiscovery.Discover(data.Path);
        Assert.Equal(dataset.Samples.Select(s => s.Path).Order(), dataset.Properties.Keys.Order());
        Assert.All(dataset.Properties.Values, p => Assert.Equal((24, 24), (p.Width, p.Height)));

        // When every file is then overwritten with bytes that are no image, and the dataset is split
        foreach (var sample in dataset.Samples)
        {
            File.WriteAllBytes(sample.Path, "no longer an image"u8.ToArray());
        }
        var result = Splitter.Split(dataset);

        // Then the split never read the files again: the copy is still found from the measured fingerprints
        var group = Assert.Single(result.Duplicates.Groups);
        Assert.Equal(["4.png", "copy.png"], group.Members.Select(m => Path.GetFileName(dataset.Samples[m].Path)).Order());
    }

    [Fact]
    public void Should_name_the_file_that_became_unreadable_when_duplicates_are_searched_without_measurements()
    {
        // Given image paths, one of which stopped being an image after it was listed
        using var data = new TempFolder();
        var good = data.Write("a/good.png", TestImages.Png(1, 24, 24));
        var bad = data.Write("a/bad.png", "not an image"u8.ToArray());

        // When duplicates are searched from the paths alone
        var error = Assert.Throws<HoldoutException>(() => DuplicateFinder.Find([good, bad]));

        // Then one clear error names the file and the reason (not an aggregate of worker exceptions)
        Assert.Contains("bad.png", error.Message, StringComparison.Ordinal);
        Assert.Contains("not an image", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_a_class_with_too_few_images_and_the_counts()
    {
        // Given a class with 2 images
        using var data = new TempFolder();
        for (var i = 0; i < 10; i++)
        {
            data.Write($"big/{i}.png", TestImages.Png(i, 24, 24));
        }
        data.Write("tiny/1.png", TestImages.Png(50, 24, 24));
        data.Write("tiny/2.png", TestImages.Png(51, 24, 24));

        // When it is split 70/15/15
        var error = Assert.Throws<HoldoutException>(() => Splitter.Split(DatasetDiscovery.Discover(data.Path)));

        // Then the error names the class and the counts
        Assert.Contains("'tiny' has 2 image(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_carve_validation_out_of_train_when_only_train_and_test_are_given()
    {
        // Given DATA/train/<class> (20 each) and DATA/test/<class> (5 each)
        using var data = new TempFolder();
        var seed = 0;
        foreach (var label in new[] { "a", "b" })
        {
            for (var i = 0; i < 20; i++)
            {
                data.Write($"train/{label}/{i}.png", TestImages.Png(seed++, 24, 24));
            }
            for (var i = 0; i < 5; i++)
            {
                data.Write($"test/{label}/{i}.png", TestImages.Png(seed++, 24, 24));
            }
        }

        // When it is split
        var result = Splitter.Split(DatasetDiscovery.Discover(data.Path));

        // Then test stays as given and validation takes 15/85 of each class's train images
        var counts = result.Manifest.Counts();
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(5, counts[c, 2]);
            Assert.Equal(4, counts[c, 1]); // 20 * 15/85 = 3.53 -> 4
            Assert.Equal(16, counts[c, 0]);
        }
        Assert.All(result.Manifest.Entries.Where(e => e.Split == DataSplit.Test), e => Assert.Contains("/test/", e.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_write_and_read_back_the_split_manifest()
    {
        // Given a split
        using var data = new TempFolder();
        var dataset = ThreeClasses(data);
        var result = Splitter.Split(dataset, new SplitOptions(Seed: 5));

        // When it is written to split.csv and read back
        var file = Path.Combine(data.Path, "split.csv");
        result.Manifest.Write(file);
        var read = SplitManifest.Read(file);

        // Then rows, seed and ratios survive, paths are stored relative to the CSV
        Assert.Equal(result.Manifest.Entries, read.Entries);
        Assert.Equal(5L, read.Seed);
        Assert.Equal("70/15/15", read.Ratios!.ToString());
        Assert.Contains("\na/000.png,a,", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.Equal(read.Samples(DataSplit.Train).Count, read.Entries.Count(e => e.Split == DataSplit.Train));

        // And the same file is also a valid dataset manifest with a given split
        var again = DatasetDiscovery.Discover(file);
        Assert.True(again.HasGivenSplit);
        Assert.Equal(dataset.Samples.Count, again.Samples.Count);

        // And an image added afterwards is reported as not in the manifest
        data.Write("a/new.png", TestImages.Png(999, 24, 24));
        var unlisted = read.UnlistedSamples(DatasetDiscovery.Discover(data.Path));
        Assert.Equal("new.png", Path.GetFileName(Assert.Single(unlisted).Path));
    }

    [SharedDataFact("beans/train")]
    public void Should_split_the_beans_training_folder_70_15_15_per_class()
    {
        // Given the shared beans training folder (3 classes, ~390 images each)
        var dataset = DatasetDiscovery.Discover(SharedData.Dataset("beans/train")!);

        // When it is split with the defaults
        var result = Splitter.Split(dataset);

        // Then each class is 70/15/15 within one image and no duplicate group straddles two splits
        var counts = result.Manifest.Counts();
        var totals = dataset.CountsPerClass();
        Assert.Equal(3, totals.Length);
        for (var c = 0; c < 3; c++)
        {
            Assert.InRange(counts[c, 0], totals[c] * 0.70 - 1, totals[c] * 0.70 + 1);
            Assert.InRange(counts[c, 1], totals[c] * 0.15 - 1, totals[c] * 0.15 + 1);
            Assert.InRange(counts[c, 2], totals[c] * 0.15 - 1, totals[c] * 0.15 + 1);
        }
        Assert.Empty(result.CrossSplitGroups);
    }
}
