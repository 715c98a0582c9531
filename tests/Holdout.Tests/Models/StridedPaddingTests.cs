using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class StridedPaddingTests
{
    [Theory]
    [InlineData(224)]
    [InlineData(225)]
    [InlineData(57)]
    public void Should_equal_explicit_asymmetric_padding_for_stride_2_convolutions(int size)
    {
        // Given a 7x7 stride-2 convolution and an input of the given (even or odd) size
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        manual_seed(3);
        var input = randn(1, 3, size, size);
        var weight = randn(4, 3, 7, 7);

        // When it runs with ONNX pads [3,3,2,2] written out explicitly, and with symmetric padding 3 then Trim
        var explicitPads = nn.functional.conv2d(nn.functional.pad(input, [3, 2, 3, 2]), weight, strides: [2, 2]);
        var trimmed = StridedPadding.Trim(nn.functional.conv2d(input, weight, strides: [2, 2], padding: [3, 3]), size, size, 7, 2, 3);

        // Then the outputs are the same, of the size floor((n + 5 - 7) / 2) + 1
        Assert.Equal(explicitPads.shape, trimmed.shape);
        Assert.Equal((size - 2) / 2 + 1, trimmed.shape[2]);
        Assert.True((explicitPads - trimmed).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [InlineData(112)]
    [InlineData(113)]
    public void Should_equal_explicit_asymmetric_padding_for_the_max_pool(int size)
    {
        // Given a 3x3 stride-2 max-pool and an input of the given size, all values negative (padding must never win)
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        manual_seed(4);
        var input = -rand(1, 2, size, size) - 1;

        // When it runs with pads [1,1,0,0] written out (-inf padding), and with symmetric padding 1 then Trim
        var explicitPads = nn.functional.max_pool2d(nn.functional.pad(input, [1, 0, 1, 0], value: double.NegativeInfinity), [3, 3], [2, 2]);
        var trimmed = StridedPadding.Trim(nn.functional.max_pool2d(input, [3, 3], [2, 2], [1, 1]), size, size, 3, 2, 1);

        // Then the outputs are identical
        Assert.Equal(explicitPads.shape, trimmed.shape);
        Assert.Equal(0f, (explicitPads - trimmed).abs().max().item<float>());
    }
}
