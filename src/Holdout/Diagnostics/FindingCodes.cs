namespace Holdout.Diagnostics;

/// <summary>The stable codes of the doctor's findings, grouped by what they look at.</summary>
public static class FindingCodes
{
    /// <summary>A file in the dataset cannot be decoded and is left out.</summary>
    public const string UnreadableFile = "unreadable-file";

    /// <summary>A file's extension does not match its content (e.g. a PNG named .jpg).</summary>
    public const string ExtensionMismatch = "extension-mismatch";

    /// <summary>The same pixels appear more than once within one split.</summary>
    public const string ExactDuplicate = "exact-duplicate";

    /// <summary>The same photo (exact, re-encoded or resized) is in two splits: leakage.</summary>
    public const string CrossSplitDuplicate = "cross-split-duplicate";

    /// <summary>The same photo is filed under two classes.</summary>
    public const string ConflictingLabels = "conflicting-labels";

    /// <summary>Classes differ a lot in size.</summary>
    public const string ClassImbalance = "class-imbalance";

    /// <summary>A split differs from training in image size, aspect, brightness, contrast, colour, grayscale share or format.</summary>
    public const string SplitShift = "split-shift";

    /// <summary>A class or split is too small to train or measure on.</summary>
    public const string TooFewImages = "too-few-images";

    /// <summary>The loss at initialisation is far from ln(number of classes).</summary>
    public const string InitLoss = "init-loss";

    /// <summary>The same batch gets different predictions in train mode and eval mode (beyond dropout).</summary>
    public const string BatchNormModeGap = "bn-mode-gap";

    /// <summary>Training and evaluation inputs differ, or the input does not match the backbone's specification.</summary>
    public const string PreprocessingMismatch = "preprocessing-mismatch";

    /// <summary>The model's output activation and the loss disagree (softmax with binary cross-entropy, probabilities into a logits loss...).</summary>
    public const string LossActivationMismatch = "loss-activation-mismatch";

    /// <summary>The validation source skips or repeats samples within an epoch, or depends on call order.</summary>
    public const string EvalCoverage = "eval-coverage";

    /// <summary>The setup cannot drive the loss of one small batch near zero.</summary>
    public const string OneBatchOverfit = "one-batch-overfit";

    /// <summary>The model learns shuffled labels as easily as the real ones: memorisation.</summary>
    public const string LabelShuffleBaseline = "label-shuffle-baseline";

    /// <summary>The trained model recognises a class by a small fixed region (a watermark, border, tag), proved by occluding and pasting it.</summary>
    public const string ShortcutCue = "shortcut-cue";

    /// <summary>Validation accuracy stays at the majority-class rate while training improves.</summary>
    public const string ChanceLevelValidation = "chance-level-validation";

    /// <summary>Validation loss turns up while training loss keeps falling.</summary>
    public const string Overfitting = "overfitting";

    /// <summary>The training loss explodes or becomes NaN.</summary>
    public const string Divergence = "divergence";

    /// <summary>Even the training accuracy stays low.</summary>
    public const string Underfitting = "underfitting";
}
