using Holdout.Imaging;
using Holdout.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Holdout.Inference;

/// <summary>
/// Runs a model exported by <see cref="OnnxExport"/> in ONNX Runtime (CPU), reading its classes, preprocessing and
/// input layout from the file's metadata. ONNX Runtime sessions may be run from several threads at once.
/// </summary>
internal sealed class OnnxRuntimeBackend : IPredictionBackend
{
    private readonly InferenceSession _session;
    private readonly OnnxModelInfo _info;

    public OnnxRuntimeBackend(string path)
    {
        _info = OnnxModelInfo.Read(path);
        try
        {
            _session = new InferenceSession(path);
        }
        catch (OnnxRuntimeException e)
        {
            throw new HoldoutException($"ONNX Runtime cannot load '{path}': {e.Message}. Expected a file written by 'holdout export'; export the run or bundle again.", e);
        }
    }

    public IReadOnlyList<string> ClassNames => _info.ClassNames;

    public Preprocessing Preprocessing => _info.Preprocessing;

    public bool TakesPixels => _info.IncludesPreprocessing;

    public float[] Probabilities(PredictionBatch batch, PredictorOptions options)
    {
        var sum = Run(batch, flipHorizontal: false, flipVertical: false);
        int views = 1;
        if (options.FlipHorizontal)
        {
            Add(sum, Run(batch, flipHorizontal: true, flipVertical: false));
            views++;
        }
        if (options.FlipVertical)
        {
            Add(sum, Run(batch, flipHorizontal: false, flipVertical: true));
            views++;
        }
        if (views > 1)
        {
            for (int i = 0; i < sum.Length; i++) sum[i] /= views;
        }
        return sum;
    }

    private float[] Run(PredictionBatch batch, bool flipHorizontal, bool flipVertical)
    {
        int n = batch.Count, size = batch.Size;
        NamedOnnxValue input = batch.Pixels is { } pixels
            ? NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<byte>(Flip(pixels, n, size, 3, flipHorizontal, flipVertical), [n, size, size, 3]))
            : NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<float>(Flip(batch.Values!, n * 3, size, 1, flipHorizontal, flipVertical), [n, 3, size, size]));
        using var results = _session.Run([input], [OnnxModelInfo.ProbabilitiesName]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    /// <summary>
    /// A copy of images laid out as [outer, rows, columns, inner] mirrored left-right and/or upside down (NCHW floats:
    /// outer = N·3, inner = 1; NHWC pixels: outer = N, inner = 3); the array itself when there is nothing to flip.
    /// </summary>
    internal static T[] Flip<T>(T[] data, int outer, int size, int inner, bool horizontal, bool vertical)
    {
        if (!horizontal && !vertical) return data;
        var result = new T[data.Length];
        int row = size * inner, plane = size * row;
        for (int o = 0; o < outer; o++)
        {
            for (int y = 0; y < size; y++)
            {
                int sourceY = vertical ? size - 1 - y : y;
                for (int x = 0; x < size; x++)
                {
                    int sourceX = horizontal ? size - 1 - x : x;
                    Array.Copy(data, o * plane + sourceY * row + sourceX * inner, result, o * plane + y * row + x * inner, inner);
                }
            }
        }
        return result;
    }

    private static void Add(float[] sum, float[] values)
    {
        for (int i = 0; i < sum.Length; i++) sum[i] += values[i];
    }

    public void Dispose() => _session.Dispose();
}
