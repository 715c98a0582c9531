using Holdout.Data;

namespace Holdout.Tests.Data;

public sealed class DatasetDiscoveryTests
{
    [Fact]
    public void Should_read_a_folder_with_one_subfolder_per_class()
    {
        // Given DATA/cat (3 images, one in a nested folder) and DATA/dog (2), plus a hidden file
        using var data = new TempFolder();
        data.Write("cat/a.jpg", TestImages.Jpeg(1));
        data.Write("cat/b.png", TestImages.Png(2));
        data.Write("cat/more/c.jpg", TestImages.Jpeg(3));
        data.Write("dog/a.jpg", TestImages.Jpeg(4));
        data.Write("dog/b.webp", TestImages.Webp(5));
        data.Write("dog/.DS_Store", [1, 2, 3]);
        data.Write("split.csv", "path,label\n"u8.ToArray());
        var stray = data.Write("stray.jpg", TestImages.Jpeg(6));

        // When it is discovered
        var dataset = DatasetDiscovery.Discover(data.Path);

        // Then the classes are the folder names (sorted) and every image is labelled, nothing skipped
        Assert.Equal(DatasetLayout.ClassFolders, dataset.Layout);
        Assert.Equal(["cat", "dog"], dataset.ClassNames);
        Assert.Equal([3, 2], dataset.CountsPerClass());

        // And an image beside the class folders is reported, the dataset's metadata files are not
        var skipped = Assert.Single(dataset.Skipped);
        Assert.Equal(stray, skipped.Path);
        Assert.Contains("not inside a class folder", skipped.Reason, StringComparison.Ordinal);
        Assert.False(dataset.HasGivenSplit);
    }

    [Fact]
    public void Should_keep_the_split_of_a_folder_already_split_into_train_val_and_test()
    {
        // Given DATA/{train,validation,test}/<class>/*
        using var data = new TempFolder();
        var seed = 0;
        foreach (var split in new[] { "train", "validation", "test" })
        {
            foreach (var label in new[] { "a", "b" })
            {
                data.Write($"{split}/{label}/{seed}.jpg", TestImages.Jpeg(seed++));
            }
        }

        // When it is discovered
        var dataset = DatasetDiscovery.Discover(data.Path);

        // Then each image keeps its given split and classes are merged across splits
        Assert.Equal(DatasetLayout.SplitFolders, dataset.Layout);
        Assert.Equal(["a", "b"], dataset.ClassNames);
        Assert.Equal(2, dataset.InSplit(DataSplit.Train).Count);
        Assert.Equal(2, dataset.InSplit(DataSplit.Validation).Count);
        Assert.Equal(2, dataset.InSplit(DataSplit.Test).Count);
        Assert.All(dataset.InSplit(DataSplit.Validation), s => Assert.Contains("validation", s.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_read_a_csv_manifest_with_relative_and_absolute_paths_and_an_optional_split()
    {
        // Given images in two folders and a manifest beside one of them
        using var data = new TempFolder();
        using var elsewhere = new TempFolder();
        data.Write("img/1.jpg", TestImages.Jpeg(1));
        data.Write("img/2.jpg", TestImages.Jpeg(2));
        var absolute = elsewhere.Write("3.png", TestImages.Png(3));
        var manifest = data.Write("labels.csv", System.Text.Encoding.UTF8.GetBytes(
            $"path,label,split\nimg/1.jpg,cat,train\n\"img/2.jpg\",dog,val\n{absolute},\"cat\",test\n"));

        // When it is discovered
        var dataset = DatasetDiscovery.Discover(manifest);

        // Then every row is a sample with its label and split, paths resolved against the CSV's folder
        Assert.Equal(DatasetLayout.CsvManifest, dataset.Layout);
        Assert.Equal(["cat", "dog"], dataset.ClassNames);
        Assert.Equal(3, dataset.Samples.Count);
        Assert.Equal(Path.Combine(data.Path, "img", "1.jpg"), dataset.Samples[0].Path);
        Assert.Equal(DataSplit.Validation, dataset.Samples[1].GivenSplit);
        Assert.Equal(absolute, dataset.Samples[2].Path);
        Assert.Equal(0, dataset.Samples[2].Label);
    }

    [Fact]
    public void Should_read_a_csv_manifest_without_header_or_split()
    {
        // Given a manifest of path,label rows only
        using var data = new TempFolder();
        data.Write("1.jpg", TestImages.Jpeg(1));
        data.Write("2.jpg", TestImages.Jpeg(2));
        var manifest = data.Write("m.csv", "1.jpg,x\n2.jpg,y\n"u8.ToArray());

        // When it is discovered
        var dataset = DatasetDiscovery.Discover(manifest);

        // Then both rows are samples without a given split
        Assert.Equal(["x", "y"], dataset.ClassNames);
        Assert.False(dataset.HasGivenSplit);
    }

    [Fact]
    public void Should_skip_and_report_every_kind_of_unreadable_file()
    {
        // Given good images and: a truncated JPEG, an empty file, a text file, a PNG with corrupt compressed data,
        // a JPEG header followed by garbage, and a manifest row whose file is missing
        using var data = new TempFolder();
        data.Write("img/good1.jpg", TestImages.Jpeg(1));
        data.Write("img/good2.png", TestImages.Png(2));
        var jpeg = TestImages.Jpeg(3, 128, 96);
        data.Write("img/truncated.jpg", jpeg[..(jpeg.Length / 2)]);
        data.Write("img/empty.jpg", []);
        data.Write("img/notes.jpg", "these are not pixels"u8.ToArray());
        var png = TestImages.Png(4, 64, 64);
        var corrupt = (byte[])png.Clone();
        var idat = IndexOf(corrupt, "IDAT"u8.ToArray());
        for (var i = idat + 10; i < idat + 60; i++)
        {
            corrupt[i] ^= 0x5A;
        }
        data.Write("img/corrupt.png", corrupt);
        data.Write("img/garbage.jpg", [.. jpeg[..2], .. Enumerable.Range(0, 500).Select(i => (byte)(i * 37))]);
        var manifest = data.Write("m.csv", System.Text.Encoding.UTF8.GetBytes(
            "path,label\nimg/good1.jpg,a\nimg/good2.png,b\nimg/truncated.jpg,a\nimg/empty.jpg,a\nimg/notes.jpg,b\nimg/corrupt.png,b\nimg/garbage.jpg,a\nimg/missing.jpg,a\n"));

        // When it is discovered
        var dataset = DatasetDiscovery.Discover(manifest);

        // Then only the good images are samples and each bad one is reported with its reason
        Assert.Equal(2, dataset.Samples.Count);
        var reasons = dataset.Skipped.ToDictionary(s => Path.GetFileName(s.Path), s => s.Reason);
        Assert.Equal(6, reasons.Count);
        Assert.StartsWith("truncated", reasons["truncated.jpg"], StringComparison.Ordinal);
        Assert.StartsWith("empty file", reasons["empty.jpg"], StringComparison.Ordinal);
        Assert.StartsWith("not an image", reasons["notes.jpg"], StringComparison.Ordinal);
        Assert.Matches("^(undecodable|truncated)", reasons["corrupt.png"]);
        Assert.Matches("^(undecodable|truncated|not an image)", reasons["garbage.jpg"]);
        Assert.StartsWith("file not found", reasons["missing.jpg"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_unreadable_files_in_strict_mode_and_name_them()
    {
        // Given a class folder with one good image and one empty file
        using var data = new TempFolder();
        data.Write("a/good.jpg", TestImages.Jpeg(1));
        data.Write("a/bad.jpg", []);

        // When it is discovered strictly
        var error = Assert.Throws<HoldoutException>(() => DatasetDiscovery.Discover(data.Path, new DiscoveryOptions(Strict: true)));

        // Then the error names the file and the reason, and says how to fix it
        Assert.Contains("bad.jpg", error.Message, StringComparison.Ordinal);
        Assert.Contains("empty file", error.Message, StringComparison.Ordinal);
        Assert.Contains("--strict", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_missing_dataset()
    {
        var error = Assert.Throws<HoldoutException>(() => DatasetDiscovery.Discover("/nonexistent/holdout-data"));
        Assert.Contains("/nonexistent/holdout-data", error.Message, StringComparison.Ordinal);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }
        return -1;
    }
}
