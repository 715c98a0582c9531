using System.Globalization;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

public sealed class HistoryCsvTests
{
    [Fact]
    public void Should_round_trip_every_double_exactly_whatever_the_current_culture()
    {
        // Given epochs with awkward doubles, a NaN validation and a culture that writes commas for decimals
        EpochRecord[] records =
        [
            new(1, 1.0986122886681098, 1.0 / 3, 0.1 + 0.2, double.NaN, 3e-4, 12.345678901234567),
            new(2, Math.PI, 0.999999999999, 1e-300, 0.5, 1.5e-5, double.Epsilon),
        ];
        var previous = CultureInfo.CurrentCulture;
        var path = Path.Combine(Path.GetTempPath(), $"holdout-history-{Guid.NewGuid():N}", "history.csv");
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");

            // When they are written and read back
            HistoryCsv.Write(path, records);
            var back = HistoryCsv.Read(path);

            // Then the file has the documented header and invariant numbers, and every value is bit-identical
            var lines = File.ReadAllLines(path);
            Assert.Equal("epoch,loss,acc,val_loss,val_acc,lr,seconds", lines[0]);
            Assert.Equal("1,1.0986122886681098,0.3333333333333333,0.30000000000000004,NaN,0.0003,12.345678901234567", lines[1]);
            Assert.Equal(records, back);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Should_name_the_file_and_line_when_the_history_is_damaged()
    {
        // Given a wrong header and a truncated line
        // Then each is refused with the file, line and expected format
        var header = Assert.Throws<HoldoutException>(() => HistoryCsv.Parse("epoch,loss\n1,2\n", "run/history.csv"));
        Assert.Contains("run/history.csv", header.Message);
        Assert.Contains(HistoryCsv.Header, header.Message);
        var line = Assert.Throws<HoldoutException>(() => HistoryCsv.Parse(HistoryCsv.Header + "\n1,0.5,0.5,0.5,0.5,0.1,1\n2,0.4,0.6\n", "h.csv"));
        Assert.Contains("line 3", line.Message);
        Assert.Contains("missing.csv", Assert.Throws<HoldoutException>(() => HistoryCsv.Read("missing.csv")).Message);
    }
}
