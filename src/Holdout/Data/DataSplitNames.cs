namespace Holdout.Data;

/// <summary>The names splits have in folders, manifests and messages.</summary>
public static class DataSplitNames
{
    /// <summary>The name written to manifests: <c>train</c>, <c>val</c> or <c>test</c>.</summary>
    /// <param name="split">The split.</param>
    public static string ToName(this DataSplit split) => split switch
    {
        DataSplit.Train => "train",
        DataSplit.Validation => "val",
        DataSplit.Test => "test",
        _ => throw new ArgumentOutOfRangeException(nameof(split)),
    };

    /// <summary>
    /// Reads a split name as found in folder names and manifests: <c>train</c>; <c>val</c>, <c>valid</c> or
    /// <c>validation</c>; <c>test</c> (case-insensitive).
    /// </summary>
    /// <param name="name">The name to read.</param>
    /// <param name="split">The split when the result is true.</param>
    /// <returns>True when the name is a split name.</returns>
    public static bool TryParse(string name, out DataSplit split)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "train":
            case "training":
                split = DataSplit.Train;
                return true;
            case "val":
            case "valid":
            case "validation":
                split = DataSplit.Validation;
                return true;
            case "test":
            case "testing":
                split = DataSplit.Test;
                return true;
            default:
                split = default;
                return false;
        }
    }
}
