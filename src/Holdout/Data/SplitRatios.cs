using System.Globalization;

namespace Holdout.Data;

/// <summary>The fractions of each class that go to train, validation and test; they sum to 1.</summary>
/// <param name="Train">Fraction for training. Defaults to 0.70.</param>
/// <param name="Validation">Fraction for validation. Defaults to 0.15.</param>
/// <param name="Test">Fraction for test. Defaults to 0.15.</param>
public sealed record SplitRatios(double Train = 0.70, double Validation = 0.15, double Test = 0.15)
{
    /// <summary>The default 70/15/15.</summary>
    public static SplitRatios Default { get; } = new();

    /// <summary>The fraction for one split.</summary>
    /// <param name="split">The split.</param>
    public double For(DataSplit split) => split switch
    {
        DataSplit.Train => Train,
        DataSplit.Validation => Validation,
        _ => Test,
    };

    /// <summary>
    /// Reads ratios written as <c>70/15/15</c> (percentages or any positive weights, normalised to sum to 1) or
    /// <c>0.8/0.1/0.1</c>.
    /// </summary>
    /// <param name="text">Three non-negative numbers separated by '/', train first; train must be positive.</param>
    /// <exception cref="HoldoutException">The text is not three such numbers.</exception>
    public static SplitRatios Parse(string text)
    {
        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        var values = new double[3];
        if (parts.Length != 3 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok)
            || values.Any(v => v < 0 || double.IsNaN(v) || double.IsInfinity(v)) || values[0] <= 0)
        {
            throw new HoldoutException(
                $"Ratios '{text}' are not valid. Expected train/val/test as three non-negative numbers with a positive train part, e.g. 70/15/15 or 0.8/0.1/0.1.");
        }
        var sum = values.Sum();
        return new SplitRatios(values[0] / sum, values[1] / sum, values[2] / sum);
    }

    /// <summary>The ratios as whole percentages, e.g. "70/15/15".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Train * 100:0.##}/{Validation * 100:0.##}/{Test * 100:0.##}");
}
