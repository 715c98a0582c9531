using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>A few samples taken from a batch source, kept for the probes (on the CPU).</summary>
internal sealed record ProbeBatch(Tensor Images, Tensor Labels) : IDisposable
{
    public int Count => (int)Images.shape[0];

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
