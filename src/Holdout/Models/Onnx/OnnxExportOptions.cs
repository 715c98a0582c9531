namespace Holdout.Models.Onnx;

/// <summary>Options for <see cref="OnnxExport.Save"/>.</summary>
/// <param name="Opset">The ONNX operator set version (default domain) to write, <see cref="OnnxExport.MinimumOpset"/> to
/// <see cref="OnnxExport.MaximumOpset"/>. Defaults to <see cref="OnnxExport.DefaultOpset"/> (17), which ONNX Runtime
/// 1.12 and later and onnx 1.12's checker read.</param>
/// <param name="WithPreprocessing">When true the model takes 8-bit RGB pixels (uint8, N x size x size x 3, already resized
/// to the input size) and does the colour order, value scale, mean and std inside the graph; when false it takes the
/// normalised float32 N x 3 x size x size tensor, prepared as the <c>preprocessing</c> metadata says. Defaults to false.</param>
public sealed record OnnxExportOptions(int Opset = OnnxExport.DefaultOpset, bool WithPreprocessing = false)
{
    /// <summary>Checks the options; <see cref="OnnxExport.Save"/> does so too.</summary>
    /// <exception cref="HoldoutException">The operator set is out of range; the message names the range.</exception>
    public void Validate()
    {
        if (Opset is < OnnxExport.MinimumOpset or > OnnxExport.MaximumOpset)
        {
            throw new HoldoutException(
                $"--opset {Opset} is not supported. Expected an ONNX operator set from {OnnxExport.MinimumOpset} to {OnnxExport.MaximumOpset}; " +
                $"leave it out for {OnnxExport.DefaultOpset}, which ONNX Runtime 1.12 and later read.");
        }
    }
}
