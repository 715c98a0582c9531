using Holdout.Metrics;
using Holdout.Reporting;
using Holdout.Runs;
using Holdout.Training;
using SkiaSharp;

namespace Holdout.Tests.Reporting;

public sealed class ChartsTests
{
    internal static readonly EpochRecord[] History =
    [
        new(1, 1.05, 0.45, 0.95, 0.52, 1e-3, 30),
        new(2, 0.70, 0.70, 0.62, 0.74, 1e-3, 29),
        new(3, 0.48, 0.82, 0.51, 0.80, 5e-4, 29),
        new(4, 0.35, 0.88, 0.55, 0.79, 5e-4, 31),
        new(5, 0.27, 0.92, 0.58, 0.78, 2.5e-4, 30),
    ];

    [Fact]
    public void Should_pick_the_epoch_with_the_lowest_finite_validation_loss_as_best()
    {
        // Given a history whose validation loss bottoms out at epoch 3, and one with no validation
        EpochRecord[] noValidation = [new(1, 1, 0.5, double.NaN, double.NaN, 1e-3, 1)];

        // Then the best epoch is 3 and none respectively
        Assert.Equal(3, Charts.BestEpoch(History));
        Assert.Null(Charts.BestEpoch(noValidation));
    }

    [Fact]
    public void Should_draw_learning_curves_with_text_at_the_requested_size()
    {
        // When the learning curves are drawn
        var png = Charts.LearningCurves(History, width: 1000, height: 400);
        Save(png, "learning-curves.png");

        // Then it is a 1000×400 PNG whose title band holds dark text pixels in both panels (fonts registered)
        using var bitmap = Decode(png);
        Assert.Equal((1000, 400), (bitmap.Width, bitmap.Height));
        Assert.True(DarkPixels(bitmap, new SKRectI(150, 0, 350, 40)) > 30, "no title text in the loss panel");
        Assert.True(DarkPixels(bitmap, new SKRectI(650, 0, 850, 40)) > 30, "no title text in the accuracy panel");
    }

    [Fact]
    public void Should_draw_a_confusion_matrix_with_counts_and_class_names()
    {
        // Given a three-class confusion matrix
        int[][] confusion = [[50, 3, 0], [4, 40, 6], [0, 1, 45]];

        // When it is drawn
        var png = Charts.ConfusionMatrix(confusion, ["angular_leaf_spot", "bean_rust", "healthy"], size: 540);
        Save(png, "confusion-matrix.png");

        // Then it is square, has a title, and the pale off-diagonal cells carry dark count digits: the middle of the
        // top-right cell (count 0, palest) is light around a dark digit
        using var bitmap = Decode(png);
        Assert.Equal((540, 540), (bitmap.Width, bitmap.Height));
        Assert.True(DarkPixels(bitmap, new SKRectI(120, 0, 420, 35)) > 30, "no title text");
        var corner = bitmap.GetPixel(500, 60);
        Assert.True(corner.Red > 200 && corner.Blue > 200, $"the empty top-right cell should be pale, was {corner}");
        Assert.True(DarkPixels(bitmap, new SKRectI(440, 100, 480, 130)) > 10, "no count digit in the top-right cell");
        Assert.Throws<ArgumentException>(() => Charts.ConfusionMatrix([[1, 2]], ["a", "b"]));
    }

    [Fact]
    public void Should_draw_a_roc_curve_with_its_area_in_the_legend()
    {
        // Given the ROC curve of a small binary set
        var metrics = Holdout.Tests.Metrics.PlainMetrics.Compute([1, 1, 0, 0, 1, 0], [[0.1f, 0.9f], [0.4f, 0.6f], [0.4f, 0.6f], [0.7f, 0.3f], [0.7f, 0.3f], [0.9f, 0.1f]], ["healthy", "sick"]);

        // When it is drawn
        var png = Charts.RocCurve(metrics.RocCurve!, metrics.RocAuc!.Value, "sick", width: 500, height: 460);
        Save(png, "roc-curve.png");

        // Then it is a PNG of that size with text in its title band
        using var bitmap = Decode(png);
        Assert.Equal((500, 460), (bitmap.Width, bitmap.Height));
        Assert.True(DarkPixels(bitmap, new SKRectI(100, 0, 400, 35)) > 30, "no title text");
    }

    [Fact]
    public void Should_draw_curves_for_a_single_epoch_without_validation()
    {
        // Given one epoch with no validation values
        EpochRecord[] history = [new(1, 0.9, 0.6, double.NaN, double.NaN, 1e-3, 12)];

        // When the curves are drawn
        var png = Charts.LearningCurves(history, width: 800, height: 300);

        // Then a PNG comes back (no best-epoch line, no validation series) and an empty history is refused
        using var bitmap = Decode(png);
        Assert.Equal((800, 300), (bitmap.Width, bitmap.Height));
        Assert.Throws<ArgumentException>(() => Charts.LearningCurves([]));
    }

    [Fact]
    public void Should_draw_a_confusion_matrix_of_many_classes_with_rotated_names()
    {
        // Given twelve classes with long names
        var names = Enumerable.Range(0, 12).Select(i => $"class_with_a_long_name_{i}").ToArray();
        var confusion = Enumerable.Range(0, 12).Select(t => Enumerable.Range(0, 12).Select(p => t == p ? 20 + t : (t + p) % 3).ToArray()).ToArray();

        // When it is drawn at its default size
        var png = Charts.ConfusionMatrix(confusion, names);
        Save(png, "confusion-matrix-12.png");

        // Then the size grows with the number of classes
        using var bitmap = Decode(png);
        Assert.Equal((360 + 60 * 12, 360 + 60 * 12), (bitmap.Width, bitmap.Height));
    }

    internal static string OutputFolder
    {
        get
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "test-output", "reporting");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    private static void Save(byte[] png, string name) => File.WriteAllBytes(Path.Combine(OutputFolder, name), png);

    private static SKBitmap Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        return SKBitmap.Decode(png) ?? throw new InvalidOperationException("the PNG does not decode");
    }

    private static int DarkPixels(SKBitmap bitmap, SKRectI area)
    {
        var count = 0;
        for (var y = area.Top; y < area.Bottom; y++)
            for (var x = area.Left; x < area.Right; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Alpha == 255 && c.Red + c.Green + c.Blue < 300) count++;
            }
        return count;
    }
}
