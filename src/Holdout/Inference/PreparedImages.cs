using Holdout.Imaging;

namespace Holdout.Inference;

/// <summary>
/// Prepares a batch of image files exactly as evaluation does (decode, evaluation resize, the model's normalisation),
/// in parallel, one renderer per thread: what <see cref="Predictor"/> and Grad-CAM's explainer feed the model. A file
/// that cannot be read gets its error; it never fails the others.
/// </summary>
internal static class PreparedImages
{
    /// <summary>
    /// Renders every path: normalised channel-major floats (3 x size x size), or with <paramref name="pixels"/> the
    /// resized 8-bit RGB pixels before normalisation (size x size x 3). Each image is either rendered or has an error.
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="preprocessing">The evaluation preprocessing (<see cref="Preprocessing.ForEvaluation"/>).</param>
    /// <param name="pixels">True for 8-bit pixels (a model exported with its preprocessing), false for floats.</param>
    /// <param name="workers">Decoding threads.</param>
    /// <param name="maxPixels">The largest width x height decoded; null = <see cref="ImageLimits.MaxPixels"/>.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    public static (Array?[] Images, string?[] Errors) Render(IReadOnlyList<string> paths, Preprocessing preprocessing, bool pixels, int workers,
        long? maxPixels, CancellationToken cancellationToken)
    {
        var length = 3 * preprocessing.InputSize * preprocessing.InputSize;
        var images = new Array?[paths.Count];
        var errors = new string?[paths.Count];
        Parallel.For(0, paths.Count,
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            () => new SampleRenderer(preprocessing, maxPixels),
            (i, _, renderer) =>
            {
                try
                {
                    if (pixels)
                    {
                        var values = new byte[length];
                        renderer.RenderPixels(paths[i], values);
                        images[i] = values;
                    }
                    else
                    {
                        var values = new float[length];
                        renderer.Render(paths[i], null, values);
                        images[i] = values;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    errors[i] = e.Message;
                }
                return renderer;
            },
            renderer => renderer.Dispose());
        return (images, errors);
    }

    /// <summary>The rows one after another in one array.</summary>
    public static T[] Concatenate<T>(IEnumerable<T[]> rows)
    {
        var list = rows.ToList();
        var flat = new T[list.Sum(r => r.Length)];
        int offset = 0;
        foreach (var row in list)
        {
            row.CopyTo(flat, offset);
            offset += row.Length;
        }
        return flat;
    }
}
