using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>
/// Asymmetric "one less at the end" padding for stride-2 operations. An operation run with symmetric padding p
/// reads windows starting at -p, -p+s, ...; with end padding p-1 the same windows are read, only the last one may
/// no longer fit. So the asymmetric result is the symmetric one cut to the asymmetric output size: for even input
/// sizes the two agree (nothing is cut), for odd sizes the last row and column are dropped.
/// </summary>
internal static class StridedPadding
{
    /// <summary>Output size of an operation with pads (begin, end): floor((n + begin + end - k) / s) + 1.</summary>
    public static long OutputSize(long input, long kernel, long stride, long padBegin, long padEnd) =>
        (input + padBegin + padEnd - kernel) / stride + 1;

    /// <summary>Cuts <paramref name="output"/> (computed with symmetric padding) to the size the asymmetric pads give.</summary>
    public static Tensor Trim(Tensor output, long inputHeight, long inputWidth, long kernel, long stride, long padBegin)
    {
        var height = OutputSize(inputHeight, kernel, stride, padBegin, padBegin - 1);
        var width = OutputSize(inputWidth, kernel, stride, padBegin, padBegin - 1);
        if (output.shape[2] == height && output.shape[3] == width) return output;
        return output.narrow(2, 0, height).narrow(3, 0, width);
    }
}
