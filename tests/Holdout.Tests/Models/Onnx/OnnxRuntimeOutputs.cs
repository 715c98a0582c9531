using Holdout.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Holdout.Tests.Models.Onnx;

/// <summary>Runs an exported file in ONNX Runtime on one batch; returns both outputs, flattened row by row.</summary>
internal static class OnnxRuntimeOutputs
{
    public static (float[] Logits, float[] Probabilities) Run<T>(string path, T[] input, params int[] dims)
    {
        using var session = new InferenceSession(path);
        return Run(session, input, dims);
    }

    public static (float[] Logits, float[] Probabilities) Run<T>(InferenceSession session, T[] input, params int[] dims)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<T>(input, dims))]);
        return (Output(results, OnnxModelInfo.LogitsName), Output(results, OnnxModelInfo.ProbabilitiesName));
    }

    private static float[] Output(IEnumerable<DisposableNamedOnnxValue> results, string name) =>
        results.Single(r => r.Name == name).AsEnumerable<float>().ToArray();
}
