using System.Globalization;
using Holdout.Training;

namespace Holdout.Diagnostics;

/// <summary>
/// The learning-curve checks of the doctor, on a run's per-epoch history: validation stuck at the majority-class
/// rate while training improves, overfitting (the epoch where the gap opens and its size), divergence (the loss
/// explodes or becomes NaN) and underfitting (training accuracy itself stays low).
/// </summary>
internal static class LearningCurves
{
    private static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    /// <summary>Checks <paramref name="history"/>.</summary>
    /// <param name="history">One record per epoch, in order (history.csv).</param>
    /// <param name="majorityRate">Accuracy of always predicting the most frequent validation class (1/C when balanced).</param>
    /// <param name="validationCount">Validation images per epoch; sets how far from the majority rate validation
    /// accuracy may be and still count as chance (two standard errors). Defaults to 0 (unknown: 5 points).</param>
    /// <param name="keptEpoch">The epoch whose weights the run kept (its best.holdout), or null when unknown. Overfitting
    /// after the kept epoch is information, not a warning: the run's numbers already come from before it.</param>
    public static IReadOnlyList<Finding> Check(IReadOnlyList<EpochRecord> history, double majorityRate, int validationCount = 0, int? keptEpoch = null)
    {
        var findings = new List<Finding>();
        if (history.Count == 0)
        {
            return findings;
        }
        var diverged = Divergence(history);
        if (diverged is not null)
        {
            findings.Add(diverged);
            return findings;
        }
        var first = history[0];
        var last = history[^1];
        var bestTrain = history.Max(r => r.Accuracy);
        var hasValidation = history.Any(r => double.IsFinite(r.ValAccuracy));
        var tail = history.Skip(Math.Max(0, history.Count - 3)).ToList();
        var margin = validationCount > 0 ? Math.Max(0.05, 2 * Math.Sqrt(majorityRate * (1 - majorityRate) / validationCount)) : 0.05;
        if (bestTrain < majorityRate + 0.1 && history.Count >= 2)
        {
            findings.Add(new Finding(FindingCodes.Underfitting, FindingSeverity.Warning,
                string.Create(Inv, $"Even on the training images the accuracy stays near chance ({last.Accuracy:P0} at epoch {last.Epoch}; always guessing the largest class scores {majorityRate:P0}): the model is not learning."),
                [
                    string.Create(Inv, $"training accuracy {first.Accuracy:P1} at epoch {first.Epoch} -> best {bestTrain:P1}; training loss {first.Loss:0.###} -> {last.Loss:0.###}"),
                    string.Create(Inv, $"last epoch {last.Epoch}: training accuracy {last.Accuracy:P0}; always guessing the largest class scores {majorityRate:P0}, and training accuracy never got 10 points above it"),
                ],
                "Train longer or with a higher learning rate, unfreeze more of the backbone, and check the input pipeline (holdout doctor --deep runs the one-batch overfit test)."));
            return findings;
        }
        if (hasValidation && tail.All(r => r.ValAccuracy <= majorityRate + margin) && bestTrain >= majorityRate + 0.15
            && bestTrain >= tail.Max(r => r.ValAccuracy) + 0.2)
        {
            var validation = tail.Average(r => r.ValAccuracy);
            var points = Math.Round(100 * Math.Abs(validation - majorityRate));
            var relation = points == 0 ? "level with" : validation < majorityRate ? string.Create(Inv, $"{points:0} points below") : string.Create(Inv, $"{points:0} points above");
            findings.Add(new Finding(FindingCodes.ChanceLevelValidation, FindingSeverity.Error,
                string.Create(Inv, $"Validation accuracy stays at chance: {validation:P0} over the last {tail.Count} epochs, {relation} the {majorityRate:P0} of always guessing the largest class, while training accuracy reaches {bestTrain:P0}."),
                [
                    .. history.Select(r => string.Create(Inv, $"epoch {r.Epoch}: train acc {r.Accuracy:P0} loss {r.Loss:0.###}, val acc {r.ValAccuracy:P0} loss {r.ValLoss:0.###}")),
                    string.Create(Inv, $"mean validation accuracy over the last {tail.Count} epochs {validation:P0}, {relation} always guessing the largest class ({majorityRate:P0}); up to {margin:P0} above that counts as chance ({(validationCount > 0 ? string.Create(Inv, $"two standard errors on {validationCount} validation images") : "the validation size is unknown")}); best training accuracy {bestTrain:P0}"),
                ],
                "What the model learns does not reach validation: fix the findings listed with it (the order is the likely importance); if none is listed, run holdout doctor --deep."));
            return findings;
        }
        var overfit = Overfitting(history, keptEpoch);
        if (overfit is not null)
        {
            findings.Add(overfit);
        }
        return findings;
    }

    private static Finding? Divergence(IReadOnlyList<EpochRecord> history)
    {
        var bad = history.FirstOrDefault(r => !double.IsFinite(r.Loss));
        var minimum = double.PositiveInfinity;
        EpochRecord? exploded = null;
        // A row at learning rate 0 is a linear-probe fit (LP-FT's head phase): its loss is measured on un-augmented
        // cached features at convergence, so the first stepped epoch's loss is not comparable with it.
        foreach (var r in history.Where(r => double.IsFinite(r.Loss) && r.LearningRate != 0))
        {
            if (r.Loss > 3 * minimum && r.Loss > minimum + 1)
            {
                exploded = r;
                break;
            }
            minimum = Math.Min(minimum, r.Loss);
        }
        var at = bad ?? exploded;
        if (at is null)
        {
            return null;
        }
        return new Finding(FindingCodes.Divergence, FindingSeverity.Error,
            bad is not null
                ? $"The training loss became {bad.Loss.ToString(Inv)} at epoch {bad.Epoch}: training diverged."
                : string.Create(Inv, $"The training loss exploded at epoch {at.Epoch} ({at.Loss:0.###}, more than 3x its best {minimum:0.###}): training diverged."),
            history.Select(r => string.Create(Inv, $"epoch {r.Epoch}: loss {r.Loss:0.####}, learning rate {r.LearningRate:0.###e+0}")).ToList(),
            string.Create(Inv, $"Lower the learning rate about 10x (the rate at epoch {at.Epoch} was {at.LearningRate:0.###e+0}), or use holdout's lr finder; check the inputs for NaN values.")) ;
    }

    private static Finding? Overfitting(IReadOnlyList<EpochRecord> history, int? keptEpoch)
    {
        var withValidation = history.Where(r => double.IsFinite(r.ValLoss)).ToList();
        if (withValidation.Count < 3)
        {
            return null;
        }
        var best = withValidation.MinBy(r => r.ValLoss)!;
        var last = withValidation[^1];
        var rise = last.ValLoss - best.ValLoss;
        var trainFell = last.Loss < best.Loss;
        if (best == last || rise < 0.1 * best.ValLoss || !trainFell)
        {
            return null;
        }
        var gap = last.Accuracy - last.ValAccuracy;
        var kept = keptEpoch == best.Epoch;
        return new Finding(FindingCodes.Overfitting, kept ? FindingSeverity.Info : FindingSeverity.Warning,
            string.Create(Inv, $"The model overfits from epoch {best.Epoch}: validation loss rises from {best.ValLoss:0.###} to {last.ValLoss:0.###} while training loss keeps falling; the accuracy gap is {gap:P0} at epoch {last.Epoch}.") +
            (kept ? string.Create(Inv, $" The run kept the weights of epoch {best.Epoch}, so its validation and test numbers come from before the rise.") : ""),
            [
                .. withValidation.Select(r => string.Create(Inv, $"epoch {r.Epoch}: train loss {r.Loss:0.###} acc {r.Accuracy:P0}, val loss {r.ValLoss:0.###} acc {r.ValAccuracy:P0}")),
                string.Create(Inv, $"accuracy gap at epoch {last.Epoch}: train {last.Accuracy:P0} - validation {last.ValAccuracy:P0} = {gap:P0}; lowest validation loss {best.ValLoss:0.###} at epoch {best.Epoch}"),
            ],
            kept
                ? "Nothing to undo; for a wider margin before the rise, add augmentation, weight decay or more images."
                : string.Create(Inv, $"Keep the weights of epoch {best.Epoch} (early stopping on val_loss), and add augmentation, weight decay or more images."));
    }
}
