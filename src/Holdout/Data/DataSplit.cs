namespace Holdout.Data;

/// <summary>The part of a dataset an image belongs to.</summary>
public enum DataSplit
{
    /// <summary>Images the model learns from.</summary>
    Train,

    /// <summary>Images used to choose epochs and settings while training.</summary>
    Validation,

    /// <summary>Images held out until the end, for the final, unbiased score.</summary>
    Test,
}
