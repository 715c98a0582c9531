namespace Holdout.Models;

/// <summary>
/// What the BatchNorm layers of a frozen part of the backbone do while the model trains. Evaluation always uses the
/// moving statistics, whichever policy is chosen.
/// </summary>
public enum BatchNormPolicy
{
    /// <summary>
    /// Frozen BatchNorm layers stay in evaluation mode: they normalise with their moving statistics, which are never
    /// updated, and their affine parameters are frozen with the rest. Training and evaluation then see the same
    /// function (Keras's behaviour since 2.1.3). The default.
    /// </summary>
    FrozenStaysInEval,

    /// <summary>
    /// fastai's <c>train_bn</c>: BatchNorm layers of a frozen backbone keep training their affine parameters and
    /// their moving statistics (batch statistics in training mode).
    /// </summary>
    TrainBatchNorm,

    /// <summary>
    /// Every BatchNorm layer of the backbone normalises with its moving statistics while the model trains, frozen or
    /// not, and those statistics are never updated; the affine parameters of unfrozen stages still train. Keras's advice
    /// for fine-tuning (keep BatchNorm in inference mode when unfreezing): the pretrained statistics are kept, so the
    /// features a linear probe was fitted on do not shift the moment the backbone unfreezes, and small batches of a
    /// small dataset cannot disturb them.
    /// </summary>
    AlwaysEval,
}
