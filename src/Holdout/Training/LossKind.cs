namespace Holdout.Training;

/// <summary>The loss a classifier is trained with.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy over C logits (C >= 2; binary problems included). The default.</summary>
    CrossEntropy,

    /// <summary>Binary cross-entropy with logits over a single output; binary problems only.</summary>
    BinaryCrossEntropyWithLogits,
}
