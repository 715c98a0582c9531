using Holdout.Data;
using Holdout.Imaging;

namespace Holdout.Training;

/// <summary>Writes a run's <c>preview.png</c>: the first training batch of epoch 1 exactly as the model sees it.</summary>
internal static class RunPreview
{
    /// <summary>At most this many images of the batch are drawn, so the report stays small at 224 px.</summary>
    public const int MaximumImages = 16;

    /// <summary>
    /// Renders the first batch of <paramref name="train"/> (epoch 0: the same order, augmentation and normalisation
    /// training uses; the loader's output depends only on seed, epoch and sample, so training is unaffected) with
    /// class captions, and writes it atomically to <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, BatchLoader train, IReadOnlyList<string> classes, CancellationToken cancellationToken)
    {
        foreach (var batch in train.RawBatches(0, cancellationToken))
        {
            int count = Math.Min(MaximumImages, batch.Count), length = 3 * train.Preprocessing.InputSize * train.Preprocessing.InputSize;
            var captions = batch.Indices.Take(count).Select(i => classes[train.Samples[i].Label]).ToList();
            AtomicFile.WriteAllBytes(path, BatchPreview.RenderGrid(batch.Images.AsSpan(0, count * length), captions, train.Preprocessing));
            return;
        }
    }
}
