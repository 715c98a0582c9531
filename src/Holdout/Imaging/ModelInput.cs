using Holdout.Native;
using TorchSharp;

namespace Holdout.Imaging;

/// <summary>
/// One image prepared exactly as evaluation batches prepare it (decode, <see cref="Preprocessing.EvalResize"/> to
/// <see cref="Preprocessing.EvaluationSize"/>, normalisation from the <see cref="Preprocessing"/>): the single-image
/// path for prediction.
/// </summary>
internal static class ModelInput
{
    /// <summary>Decodes <paramref name="path"/> and returns the normalised 3 x size x size floats (channel-major).</summary>
    /// <param name="path">The image file (any supported format, recognised by content).</param>
    /// <param name="preprocessing">The model's preprocessing.</param>
    /// <exception cref="HoldoutException">The file cannot be read or decoded.</exception>
    public static float[] FromFile(string path, Preprocessing preprocessing)
    {
        using var renderer = new SampleRenderer(preprocessing.ForEvaluation());
        var values = new float[renderer.Length];
        renderer.Render(path, null, values);
        return values;
    }

    /// <summary>Like <see cref="FromFile"/>, as a float32 tensor of shape 3 x size x size (the caller disposes it).</summary>
    /// <param name="path">The image file.</param>
    /// <param name="preprocessing">The model's preprocessing.</param>
    public static torch.Tensor TensorFromFile(string path, Preprocessing preprocessing)
    {
        NativeRuntime.EnsureInitialized();
        var size = preprocessing.EvaluationSize;
        return torch.tensor(FromFile(path, preprocessing), [3, size, size]);
    }
}
