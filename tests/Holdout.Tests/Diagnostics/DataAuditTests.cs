using Holdout.Data;
using Holdout.Diagnostics;
using SkiaSharp;

namespace Holdout.Tests.Diagnostics;

public sealed class DataAuditTests
{
    private static DoctorReport Examine(string data) => Holdout.Diagnostics.Doctor.Examine(new DoctorOptions(data));

    private static void WritePictures(TempFolder folder, string split, string label, int first, int count, int size = 48)
    {
        for (var i = first; i < first + count; i++)
        {
            folder.Write(Path.Combine("data", split, label, $"{label}_{i:000}.png"), TestImages.Png(i, size, size));
        }
    }

    [Fact]
    public void Should_report_each_planted_data_fault_with_its_code_and_severity()
    {
        // Given: a train/val dataset of distinct pictures, then one fault of each kind planted
        using var folder = new TempFolder();
        WritePictures(folder, "train", "cat", 0, 14);
        WritePictures(folder, "train", "dog", 100, 14);
        WritePictures(folder, "val", "cat", 200, 12);
        WritePictures(folder, "val", "dog", 300, 3);
        PlantedDataFaults.Write(folder);

        // When
        var report = Examine(Path.Combine(folder.Path, "data"));

        // Then
        Assert.Equal(FindingSeverity.Error, Assert.Single(report.WithCode(FindingCodes.CrossSplitDuplicate)).Severity);
        Assert.Contains(report.WithCode(FindingCodes.CrossSplitDuplicate)[0].Evidence, e => e.Contains("leaked_reencoded.jpg", StringComparison.Ordinal));
        Assert.Equal(FindingSeverity.Error, Assert.Single(report.WithCode(FindingCodes.ConflictingLabels)).Severity);
        Assert.Contains(report.WithCode(FindingCodes.ConflictingLabels)[0].Evidence, e => e.Contains("conflicting_copy.png", StringComparison.Ordinal));
        Assert.Equal(FindingSeverity.Warning, Assert.Single(report.WithCode(FindingCodes.ExactDuplicate)).Severity);
        Assert.Equal(FindingSeverity.Warning, Assert.Single(report.WithCode(FindingCodes.UnreadableFile)).Severity);
        Assert.Contains(Assert.Single(report.WithCode(FindingCodes.UnreadableFile)).Evidence, e => e.Contains("truncated.jpg", StringComparison.Ordinal));
        Assert.Equal(FindingSeverity.Info, Assert.Single(report.WithCode(FindingCodes.ExtensionMismatch)).Severity);
        Assert.Contains(report.WithCode(FindingCodes.TooFewImages)[0].Evidence, e => e.StartsWith("val/dog: 3", StringComparison.Ordinal));
        Assert.Equal(1, report.ExitCode);
    }

    [Fact]
    public void Should_report_class_imbalance_with_suggested_weights()
    {
        // Given: 40 cats and 12 dogs in one folder (Holdout splits it)
        using var folder = new TempFolder();
        WritePictures(folder, "all", "cat", 0, 60);
        WritePictures(folder, "all", "dog", 100, 15);

        // When
        var report = Examine(Path.Combine(folder.Path, "data", "all"));

        // Then
        var finding = Assert.Single(report.WithCode(FindingCodes.ClassImbalance));
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
        Assert.Contains(finding.Evidence, e => e.StartsWith("dog: ", StringComparison.Ordinal) && e.Contains("suggested class weight 2.", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_report_split_shift_with_an_effect_size_per_property()
    {
        // Given: validation images that are larger, grayscale JPEGs while training has colour PNGs
        using var folder = new TempFolder();
        WritePictures(folder, "train", "cat", 0, 12);
        WritePictures(folder, "train", "dog", 100, 12);
        for (var i = 0; i < 12; i++)
        {
            using var picture = TestImages.Picture(500 + i, 96, 64);
            using var gray = new SKBitmap(picture.Info);
            for (var y = 0; y < picture.Height; y++)
            {
                for (var x = 0; x < picture.Width; x++)
                {
                    var c = picture.GetPixel(x, y);
                    var l = (byte)(0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue);
                    gray.SetPixel(x, y, new SKColor(l, l, l));
                }
            }
            folder.Write($"data/val/{(i % 2 == 0 ? "cat" : "dog")}/v{i}.jpg", TestImages.Encode(gray, SKEncodedImageFormat.Jpeg, 95));
        }

        // When
        var report = Examine(Path.Combine(folder.Path, "data"));

        // Then
        var finding = Assert.Single(report.WithCode(FindingCodes.SplitShift));
        Assert.Equal(FindingSeverity.Warning, finding.Severity);
        foreach (var property in new[] { "image size", "aspect", "grayscale share", "format", "colour", "brightness", "contrast" })
        {
            Assert.Contains(finding.Evidence, e => e.StartsWith(property + ":", StringComparison.Ordinal) && e.Contains("effect size", StringComparison.Ordinal));
        }
        Assert.Contains("grayscale share", finding.Message, StringComparison.Ordinal);
        Assert.Contains("format", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_no_error_on_a_clean_dataset()
    {
        // Given
        using var folder = new TempFolder();
        WritePictures(folder, "all", "cat", 0, 30);
        WritePictures(folder, "all", "dog", 100, 30);

        // When
        var report = Examine(Path.Combine(folder.Path, "data", "all"));

        // Then
        Assert.False(report.HasErrors, report.FormatText());
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void Should_audit_with_the_properties_discovery_measured_without_decoding_again()
    {
        // Given a train/val dataset with a copy leaked into validation, discovered (one decode per file)
        using var folder = new TempFolder();
        WritePictures(folder, "train", "cat", 0, 12);
        WritePictures(folder, "val", "cat", 100, 12);
        folder.Write("data/val/cat/leaked.png", TestImages.Png(3, 48, 48));
        var dataset = DatasetDiscovery.Discover(Path.Combine(folder.Path, "data"));
        var manifest = Splitter.Split(dataset).Manifest;

        // When every image is then overwritten with bytes that are no image, and the data is audited
        foreach (var sample in dataset.Samples)
        {
            File.WriteAllBytes(sample.Path, "no longer an image"u8.ToArray());
        }
        var findings = DataAudit.Run(manifest, dataset);

        // Then nothing was decoded again: no file is unreadable and the leaked copy is still found
        Assert.DoesNotContain(findings, f => f.Code == FindingCodes.UnreadableFile);
        Assert.Contains(Assert.Single(findings, f => f.Code == FindingCodes.CrossSplitDuplicate).Evidence, e => e.Contains("leaked.png", StringComparison.Ordinal));
    }

    [SharedDataFact("beans")]
    public void Should_find_reencoded_and_resized_beans_copies_across_splits_without_false_positives()
    {
        // Given: 40 distinct beans training images per class as train, the beans test folder as val, and
        // 4 JPEG quality-75 re-encodes and 4 0.8x resizes of training images planted in val and test
        var beans = SharedData.Dataset("beans")!;
        using var folder = new TempFolder();
        var planted = new List<string>();
        foreach (var classFolder in Directory.GetDirectories(Path.Combine(beans, "train")).Order(StringComparer.Ordinal))
        {
            var label = Path.GetFileName(classFolder);
            var files = Directory.GetFiles(classFolder).Order(StringComparer.Ordinal).Take(40).ToList();
            foreach (var file in files)
            {
                File.Copy(file, folder.Write(Path.Combine("data", "train", label, Path.GetFileName(file)), []), overwrite: true);
            }
            foreach (var file in Directory.GetFiles(Path.Combine(beans, "test", label)))
            {
                File.Copy(file, folder.Write(Path.Combine("data", "val", label, Path.GetFileName(file)), []), overwrite: true);
            }
            var bytes = File.ReadAllBytes(files[3]);
            planted.Add(folder.Write(Path.Combine("data", "val", label, "planted_q75.jpg"), TestImages.Reencoded(bytes, 75)));
            planted.Add(folder.Write(Path.Combine("data", "test", label, "planted_resized.jpg"), TestImages.ResizedJpeg(bytes, 0.8)));
        }

        // When
        var report = Examine(Path.Combine(folder.Path, "data"));

        // Then: the count of groups, then one group per planted pair, each naming its planted file, nothing else
        var finding = Assert.Single(report.WithCode(FindingCodes.CrossSplitDuplicate));
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Equal(4, finding.Evidence.Count);
        Assert.StartsWith("3 group(s)", finding.Evidence[0], StringComparison.Ordinal);
        foreach (var file in planted)
        {
            Assert.Contains(finding.Evidence, e => e.Contains(file, StringComparison.Ordinal));
        }
        Assert.All(finding.Evidence.Skip(1), e => Assert.Equal(3, e.Split(" <-> ").Length));
    }
}
