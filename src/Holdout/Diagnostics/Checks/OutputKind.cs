namespace Holdout.Diagnostics.Checks;

/// <summary>What a model's outputs look like.</summary>
internal enum OutputKind
{
    /// <summary>Raw scores.</summary>
    Logits,

    /// <summary>Rows of probabilities that sum to 1.</summary>
    Softmax,

    /// <summary>Independent probabilities in [0, 1].</summary>
    Sigmoid,
}
