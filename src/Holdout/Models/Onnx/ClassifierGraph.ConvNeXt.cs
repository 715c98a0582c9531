using Holdout.Models.Backbones;

namespace Holdout.Models.Onnx;

/// <summary>
/// ConvNeXt-Tiny (<see cref="ConvNeXtTinyBackbone"/>) in ONNX, NCHW throughout: torchvision's channels-last LayerNorm
/// and linear layers become a normalisation over the channel axis (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div) and
/// 1x1 convolutions, so no Transpose is needed and ONNX Runtime runs the convolutions in its blocked (NCHWc) layout.
/// Everything affine is folded into the convolution after it: each LayerNorm's weight and bias into the following 1x1
/// (or the downsampling 2x2) convolution, and the layer scale into the block's second 1x1 convolution. Only the stem's
/// norm keeps its Mul and Add, because its output is also the first block's shortcut. GELU is a Gelu node from opset 20
/// and 0.5·x·(1 + Erf(x/√2)) below (ONNX Runtime fuses it back into its Gelu kernel); the pooled features' norm is a
/// LayerNormalization node from opset 17.
/// </summary>
/// <remarks>
/// Why not torchvision's channels-last form (per block Transpose, LayerNormalization, MatMul, Add, Gelu, MatMul, Add,
/// Transpose)? ONNX Runtime 1.31 (default optimisations, one intra-op thread, AMD EPYC with AVX-512, batch 4 at 224 px,
/// CPU time per batch, three interleaved rounds at opset 17) took 250..259 ms for it (median 259..272; it fuses the
/// LayerNorm and Add + Gelu and removes 28 of 45 transposes) and 220..246 ms (median 232..257) for this form, whose
/// 1x1 convolutions run in its blocked NCHWc layout. Both give the same logits.
/// </remarks>
internal sealed partial class ClassifierGraph
{
    /// <summary>ConvNeXt-Tiny's feature map (<c>features(x)</c>, N x 768 x h x w).</summary>
    private string ConvNeXtTiny(string x)
    {
        x = Conv(x, "backbone.features.0.0", null, 4, Pads(0, false));
        x = ConvNeXtChannelNorm(x, "backbone.features.0.1", withAffine: true);
        var blocks = ConvNeXtTinyBackbone.Blocks;
        for (int stage = 0; stage < blocks.Count; stage++)
        {
            var channels = ConvNeXtTinyBackbone.Widths[stage];
            for (int b = 0; b < blocks[stage]; b++) x = ConvNeXtBlock(x, $"backbone.features.{2 * stage + 1}.{b}", channels);
            if (stage + 1 == blocks.Count) break;
            var downsample = $"backbone.features.{2 * stage + 2}";
            x = ConvNeXtChannelNorm(x, downsample + ".0", withAffine: false);
            x = ConvNeXtConv(x, downsample + ".1", stride: 2, normBefore: downsample + ".0", layerScale: null);
        }
        return x;
    }

    /// <summary>The <c>classifier.0</c> norm of the globally pooled features (N x 768 x 1 x 1 in and out).</summary>
    private string ConvNeXtPoolNorm(string pooled)
    {
        const string name = "backbone.classifier.0";
        if (Opset < 17) return ConvNeXtChannelNorm(pooled, name, withAffine: true);
        // On N x C x 1 x 1, normalising axes 1.. is normalising the channels.
        long channels = Weight(name + ".weight").Shape[0];
        return _graph.Node("LayerNormalization", name + ".norm",
            [pooled, _graph.Constant(name + ".weight", Weight(name + ".weight").Values, channels, 1, 1), _graph.Constant(name + ".bias", Weight(name + ".bias").Values, channels, 1, 1)],
            OnnxGraph.Int("axis", 1), FloatAttributeOf("epsilon", (float)ConvNeXtTinyBackbone.Epsilon));
    }

    /// <summary>One block: x + Conv1x1(GELU(Conv1x1(norm(depthwise(x))))), the norm's affine and the layer scale folded in.</summary>
    private string ConvNeXtBlock(string x, string prefix, long channels)
    {
        var y = Conv(x, $"{prefix}.block.0", null, 1, Pads(3, false), groups: channels);
        y = ConvNeXtChannelNorm(y, $"{prefix}.block.2", withAffine: false);
        y = ConvNeXtConv(y, $"{prefix}.block.3", stride: 1, normBefore: $"{prefix}.block.2", layerScale: null);
        y = ConvNeXtGelu(y, $"{prefix}.block.4");
        y = ConvNeXtConv(y, $"{prefix}.block.5", stride: 1, normBefore: null, layerScale: $"{prefix}.layer_scale");
        var sum = _graph.Node("Add", $"{prefix}.add", [y, x]);
        _sizes[sum] = _sizes[x];
        return sum;
    }

    /// <summary>
    /// A LayerNorm over the channel axis of an NCHW value, with ConvNeXt's epsilon: (x - mean) / sqrt(var + eps), then,
    /// <paramref name="withAffine"/>, times the module's weight plus its bias (else the next convolution holds them).
    /// </summary>
    private string ConvNeXtChannelNorm(string x, string name, bool withAffine)
    {
        var mean = ChannelMean(x, name + ".mean");
        var centred = _graph.Node("Sub", name + ".centred", [x, mean]);
        var variance = ChannelMean(_graph.Node("Mul", name + ".squared", [centred, centred]), name + ".variance");
        var shifted = _graph.Node("Add", name + ".variance_eps", [variance, _graph.Constant(name + ".epsilon", [(float)ConvNeXtTinyBackbone.Epsilon])]);
        var y = _graph.Node("Div", name + ".normalised", [centred, _graph.Node("Sqrt", name + ".std", [shifted])]);
        if (withAffine)
        {
            var (weight, shape) = Weight(name + ".weight");
            y = _graph.Node("Mul", name + ".scaled", [y, _graph.Constant(name + ".weight", weight, shape[0], 1, 1)]);
            y = _graph.Node("Add", name + ".norm", [y, _graph.Constant(name + ".bias", Weight(name + ".bias").Values, shape[0], 1, 1)]);
        }
        if (_sizes.TryGetValue(x, out var size)) _sizes[y] = size;
        return y;
    }

    /// <summary>The mean over axis 1, kept (ReduceMean's axes are an attribute up to opset 17 and an input from 18).</summary>
    private string ChannelMean(string x, string name) => Opset >= 18
        ? _graph.Node("ReduceMean", name, [x, _graph.Constant(name + ".axes", [1L], 1)], OnnxGraph.Int("keepdims", 1))
        : _graph.Node("ReduceMean", name, [x], OnnxGraph.Ints("axes", 1), OnnxGraph.Int("keepdims", 1));

    /// <summary>
    /// A convolution without padding (a linear layer's [out, in] weight is a 1x1 kernel) with the LayerNorm before it
    /// and the layer scale after it folded in: W'[o,i,·] = s[o]·W[o,i,·]·γ[i], b'[o] = s[o]·(b[o] + Σ W[o,i,·]·β[i]).
    /// Without padding every output reads whole normalised inputs, so folding β is exact.
    /// </summary>
    private string ConvNeXtConv(string x, string name, long stride, string? normBefore, string? layerScale)
    {
        var (weight, shape) = Weight(name + ".weight");
        long outputs = shape[0], inputs = shape[1];
        long kernelHeight = shape.Length == 4 ? shape[2] : 1, kernelWidth = shape.Length == 4 ? shape[3] : 1;
        long perInput = kernelHeight * kernelWidth;
        var bias = _state[name + ".bias"].Values;
        var gamma = normBefore is null ? null : Weight(normBefore + ".weight").Values;
        var beta = normBefore is null ? null : Weight(normBefore + ".bias").Values;
        var scale = layerScale is null ? null : Weight(layerScale).Values;
        var foldedWeight = new float[weight.Length];
        var foldedBias = new float[outputs];
        for (long o = 0; o < outputs; o++)
        {
            double s = scale?[o] ?? 1f, sum = bias[o];
            for (long i = 0; i < inputs; i++)
            {
                double g = gamma?[i] ?? 1f, shift = beta?[i] ?? 0f;
                for (long k = 0; k < perInput; k++)
                {
                    var index = (o * inputs + i) * perInput + k;
                    foldedWeight[index] = (float)(s * weight[index] * g);
                    sum += weight[index] * shift;
                }
            }
            foldedBias[o] = (float)(s * sum);
        }
        var (height, width) = _sizes[x];
        var output = _graph.Node("Conv", name,
            [x, _graph.Constant(name + ".weight", foldedWeight, outputs, inputs, kernelHeight, kernelWidth), _graph.Constant(name + ".bias", foldedBias, outputs)],
            OnnxGraph.Ints("kernel_shape", kernelHeight, kernelWidth), OnnxGraph.Ints("strides", stride, stride), OnnxGraph.Ints("pads", 0, 0, 0, 0));
        _sizes[output] = (StridedPadding.OutputSize(height, kernelHeight, stride, 0, 0), StridedPadding.OutputSize(width, kernelWidth, stride, 0, 0));
        return output;
    }

    /// <summary>Exact GELU: a Gelu node from opset 20, else 0.5·x·(1 + Erf(x/√2)).</summary>
    private string ConvNeXtGelu(string x, string name)
    {
        string output;
        if (Opset >= 20)
        {
            output = _graph.Node("Gelu", name, [x]);
        }
        else
        {
            var scaled = _graph.Node("Div", name + ".div", [x, _graph.Constant(name + ".sqrt2", [(float)Math.Sqrt(2)])]);
            var erf = _graph.Node("Erf", name + ".erf", [scaled]);
            var shifted = _graph.Node("Add", name + ".add", [erf, _graph.Constant(name + ".one", [1f])]);
            var product = _graph.Node("Mul", name + ".mul", [x, shifted]);
            output = _graph.Node("Mul", name, [product, _graph.Constant(name + ".half", [0.5f])]);
        }
        _sizes[output] = _sizes[x];
        return output;
    }
}
