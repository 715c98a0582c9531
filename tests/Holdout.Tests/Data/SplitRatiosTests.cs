using Holdout.Data;

namespace Holdout.Tests.Data;

public sealed class SplitRatiosTests
{
    [Theory]
    [InlineData("70/15/15", 0.70, 0.15, 0.15)]
    [InlineData("0.8/0.1/0.1", 0.8, 0.1, 0.1)]
    [InlineData("8/2/0", 0.8, 0.2, 0.0)]
    public void Should_read_ratios_as_percentages_or_fractions(string text, double train, double validation, double test)
    {
        var ratios = SplitRatios.Parse(text);
        Assert.Equal(train, ratios.Train, 9);
        Assert.Equal(validation, ratios.Validation, 9);
        Assert.Equal(test, ratios.Test, 9);
    }

    [Theory]
    [InlineData("70/30")]
    [InlineData("a/b/c")]
    [InlineData("0/50/50")]
    [InlineData("70/-15/45")]
    public void Should_refuse_malformed_ratios_and_show_the_expected_form(string text)
    {
        var error = Assert.Throws<HoldoutException>(() => SplitRatios.Parse(text));
        Assert.Contains("70/15/15", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(389)]
    [InlineData(10)]
    [InlineData(3)]
    [InlineData(7)]
    public void Should_round_split_counts_to_within_one_image_with_one_per_split(int total)
    {
        var targets = Splitter.Targets(total, [0.7, 0.15, 0.15]);
        Assert.Equal(total, targets.Sum());
        Assert.All(targets, t => Assert.True(t >= 1));
        if (total >= 10)
        {
            Assert.InRange(targets[0], total * 0.7 - 1, total * 0.7 + 1);
            Assert.InRange(targets[1], total * 0.15 - 1, total * 0.15 + 1);
        }
    }
}
