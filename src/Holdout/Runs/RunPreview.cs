using Holdout.Data;
using Holdout.Imaging;

namespace Holdout.Runs;

/// <summary>Draws training batches exactly as the model sees them: the run's <c>preview.png</c> and <c>holdout preview</c>.</summary>
internal static class RunPreview
{
    /// <summary>A run's <c>preview.png</c> holds this many images of epoch 1, so the report stays small at 224 px.</summary>
    public const int MaximumImages = 16;

    /// <summary>
    /// The first <paramref name="count"/> images of epoch <paramref name="epoch"/> (0-based) of <paramref name="train"/>
    /// — the same order, augmentation and normalisation training uses (the loader's output depends only on seed, epoch
    /// and sample, so training is unaffected) — de-normalised into a captioned grid PNG.
    /// </summary>
    public static byte[] Render(BatchLoader train, IReadOnlyList<string> classes, int epoch, int count, CancellationToken cancellationToken)
    {
        int length = 3 * train.Preprocessing.InputSize * train.Preprocessing.InputSize;
        var images = new List<float>();
        var captions = new List<string>();
        foreach (var batch in train.RawBatches(epoch, cancellationToken))
        {
            int take = Math.Min(count - captions.Count, batch.Count);
            images.AddRange(batch.Images.AsSpan(0, take * length));
            captions.AddRange(batch.Indices.Take(take).Select(i => classes[train.Samples[i].Label]));
            if (captions.Count >= count) break;
        }
        if (captions.Count == 0) throw new HoldoutException("The training split has no images to preview. Add images or check the split.");
        return BatchPreview.RenderGrid(images.ToArray(), captions, train.Preprocessing);
    }

    /// <summary>Writes the run's <c>preview.png</c> (the first images of epoch 1) atomically.</summary>
    public static void Write(string path, BatchLoader train, IReadOnlyList<string> classes, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllBytes(path, Render(train, classes, 0, MaximumImages, cancellationToken));
}
