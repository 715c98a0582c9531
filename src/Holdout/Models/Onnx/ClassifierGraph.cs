using Holdout.Imaging;
using Holdout.Models.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Models.Onnx;

/// <summary>
/// Translates an <see cref="ImageClassifier"/> into an ONNX graph, as it computes in evaluation mode: every BatchNorm
/// is folded into the convolution (or, in the head, the linear layer) before it with its running statistics, dropout
/// disappears, and CNTK's end-trimmed padding becomes ONNX's asymmetric pads. Spatial sizes are tracked per value so
/// that a shortcut longer than its main path (odd sizes with end-trimmed padding) is cut as the module cuts it.
/// </summary>
internal sealed partial class ClassifierGraph
{
    private readonly OnnxGraph _graph = new();
    private readonly Dictionary<string, (float[] Values, long[] Shape)> _state = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _epsilon = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Height, long Width)> _sizes = new(StringComparer.Ordinal);

    private ClassifierGraph(ImageClassifier model)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, value) in model.state_dict())
        {
            if (!value.is_floating_point()) continue; // BatchNorm's num_batches_tracked
            var values = value.detach().cpu().to_type(ScalarType.Float32).data<float>().ToArray();
            _state[name] = (values, value.shape);
        }
        foreach (var (name, module) in model.named_modules())
        {
            if (module is BatchNorm norm) _epsilon[name] = norm.eps;
        }
    }

    /// <summary>The graph of <paramref name="model"/>: input <c>input</c>, outputs <c>logits</c> and <c>probabilities</c>.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="withPreprocessing">Whether the input is 8-bit RGB pixels (N x size x size x 3) normalised inside the graph,
    /// rather than the normalised float32 N x 3 x size x size tensor.</param>
    /// <param name="opset">The operator set the graph is written for (newer operators replace their written-out formulas).</param>
    public static OnnxGraph Build(ImageClassifier model, bool withPreprocessing, int opset = OnnxExport.DefaultOpset)
    {
        var builder = new ClassifierGraph(model) { Opset = opset };
        var preprocessing = model.Spec.Preprocessing.ForEvaluation(); // the input is what evaluation and prediction render
        var x = withPreprocessing ? builder.Normalise(preprocessing) : builder.FloatInput(preprocessing);
        var pooling = model.Options.EffectiveHead.Pooling;
        var logits = model.Net switch
        {
            null => builder.SimpleCnn(x),
            ResNetBackbone resnet => builder.Head(builder.ResNet(x, resnet.Layout), pooling),
            Backbones.EfficientNetB0Backbone efficientNet => builder.Head(builder.EfficientNetB0(x, efficientNet), pooling),
            Backbones.MobileNetV3LargeBackbone mobileNet => builder.Head(builder.MobileNetV3Large(x, mobileNet), pooling),
            ConvNeXtTinyBackbone => builder.Head(builder.ConvNeXtTiny(x), pooling, builder.ConvNeXtPoolNorm),
            var other => throw new HoldoutException(
                $"The ONNX exporter does not know the backbone '{other.Description}'. Expected a model Holdout builds; this is a bug in Holdout, please report it."),
        };
        var graph = builder._graph;
        var probabilities = graph.Node("Softmax", "probabilities", [logits], OnnxGraph.Int("axis", 1));
        long classes = model.ClassNames.Count;
        graph.Output(logits, OnnxGraph.FloatType, "N x classes logits, in the order of the class_names metadata", null, classes);
        graph.Output(probabilities, OnnxGraph.FloatType, "N x classes softmax probabilities, in the order of the class_names metadata", null, classes);
        return graph;
    }

    /// <summary>The operator set being written.</summary>
    private int Opset { get; init; } = OnnxExport.DefaultOpset;

    private string FloatInput(Preprocessing preprocessing)
    {
        long size = preprocessing.InputSize;
        var input = _graph.Input("input", OnnxGraph.FloatType,
            $"N x 3 x {size} x {size} float32, {preprocessing.ColorOrder} channels, normalised as the preprocessing metadata says",
            null, 3, size, size);
        _sizes[input] = (size, size);
        return input;
    }

    /// <summary>uint8 N x H x W x RGB to the normalised N x 3 x H x W tensor, with the data loader's exact float terms.</summary>
    private string Normalise(Preprocessing preprocessing)
    {
        long size = preprocessing.InputSize;
        var input = _graph.Input("input", OnnxGraph.UInt8Type,
            $"N x {size} x {size} x 3 uint8 RGB pixels, already resized to {size} x {size}", null, size, size, 3);
        var x = _graph.Node("Cast", "preprocess.cast", [input], OnnxGraph.Int("to", OnnxGraph.FloatType));
        x = _graph.Node("Transpose", "preprocess.channels_first", [x], OnnxGraph.Ints("perm", 0, 3, 1, 2));
        var sources = preprocessing.SourceChannels();
        if (!sources.SequenceEqual([0, 1, 2]))
        {
            var indices = _graph.Constant("preprocess.channel_order", sources.Select(c => (long)c).ToArray(), 3);
            x = _graph.Node("Gather", "preprocess.reorder", [x, indices], OnnxGraph.Int("axis", 1));
        }
        var (multiply, add) = preprocessing.ChannelAffine();
        x = _graph.Node("Mul", "preprocess.scale", [x, _graph.Constant("preprocess.multiply", multiply, 1, 3, 1, 1)]);
        x = _graph.Node("Add", "preprocess.normalised", [x, _graph.Constant("preprocess.add", add, 1, 3, 1, 1)]);
        _sizes[x] = (size, size);
        return x;
    }

    private string SimpleCnn(string x)
    {
        x = Relu(Conv(x, "backbone.conv1", null, 1, Pads(0, false)));
        x = Relu(Conv(x, "backbone.conv2", null, 1, Pads(0, false)));
        x = Pool("MaxPool", x, "backbone.pool", 2, 2, Pads(0, false));
        x = _graph.Node("Flatten", "backbone.flatten", [x], OnnxGraph.Int("axis", 1));
        x = _graph.Node("Relu", "head.fc1.relu", [Linear(x, "head.fc1", null)]);
        return Linear(x, "head.fc2", null, "logits");
    }

    /// <summary>The head on the backbone's map: global average pooling (and <paramref name="afterPooling"/>) or flattening, then the linear layer.</summary>
    private string Head(string map, HeadPooling pooling, Func<string, string>? afterPooling = null)
    {
        var x = map;
        if (pooling == HeadPooling.Average)
        {
            x = _graph.Node("GlobalAveragePool", "head.pool", [x]);
            if (afterPooling is not null) x = afterPooling(x);
        }
        x = _graph.Node("Flatten", "head.flatten", [x], OnnxGraph.Int("axis", 1));
        return Linear(x, "head.fc", _state.ContainsKey("head.bn.weight") ? "head.bn" : null, "logits");
    }

    /// <summary>A ResNet's feature map (before pooling).</summary>
    private string ResNet(string x, ResNetLayout layout)
    {
        var trim = layout.TrimEndPadding;
        x = Relu(Conv(x, "backbone.conv1", "backbone.bn1", 2, Pads(3, trim)));
        x = Pool("MaxPool", x, "backbone.maxpool", 3, 2, Pads(1, trim));
        for (int stage = 0; stage < layout.Blocks.Length; stage++)
        {
            for (int b = 0; b < layout.Blocks[stage]; b++)
            {
                long stride = stage > 0 && b == 0 ? 2 : 1;
                var prefix = $"backbone.layer{stage + 1}.{b}";
                x = layout.Bottleneck ? Bottleneck(x, prefix, stride, trim) : Basic(x, prefix, stride, trim);
            }
        }
        return x;
    }

    private string Basic(string x, string prefix, long stride, bool trim)
    {
        var y = Relu(Conv(x, $"{prefix}.conv1", $"{prefix}.bn1", stride, Pads(1, trim && stride > 1)));
        y = Conv(y, $"{prefix}.conv2", $"{prefix}.bn2", 1, Pads(1, false));
        return Shortcut(x, y, prefix, stride);
    }

    private string Bottleneck(string x, string prefix, long stride, bool trim)
    {
        var y = Relu(Conv(x, $"{prefix}.conv1", $"{prefix}.bn1", 1, Pads(0, false)));
        y = Relu(Conv(y, $"{prefix}.conv2", $"{prefix}.bn2", stride, Pads(1, trim && stride > 1)));
        y = Conv(y, $"{prefix}.conv3", $"{prefix}.bn3", 1, Pads(0, false));
        return Shortcut(x, y, prefix, stride);
    }

    /// <summary>Adds the block's shortcut (the downsample convolution when it has one) to its main path, then ReLU.</summary>
    private string Shortcut(string x, string main, string prefix, long stride)
    {
        var identity = _state.ContainsKey($"{prefix}.downsample.0.weight")
            ? Conv(x, $"{prefix}.downsample.0", $"{prefix}.downsample.1", stride, Pads(0, false))
            : x;
        var (height, width) = _sizes[main];
        if (_sizes[identity] != (height, width))
        {
            // End-trimmed padding on an odd size: the 1x1 shortcut has one more row and column; keep the aligned ones.
            identity = _graph.Node("Slice", $"{prefix}.shortcut_crop",
            [
                identity,
                _graph.Constant($"{prefix}.shortcut_crop.starts", [0L, 0L], 2),
                _graph.Constant($"{prefix}.shortcut_crop.ends", [height, width], 2),
                _graph.Constant($"{prefix}.shortcut_crop.axes", [2L, 3L], 2),
            ]);
        }
        var sum = _graph.Node("Add", $"{prefix}.add", [main, identity]);
        _sizes[sum] = (height, width);
        return Relu(sum, $"{prefix}.relu");
    }

    /// <summary>A convolution (<paramref name="groups"/> groups: depthwise when it is the channel count) with the BatchNorm after it folded in: W' = W·s, b' = beta + (b - mean)·s, s = gamma / sqrt(var + eps).</summary>
    private string Conv(string x, string name, string? batchNorm, long stride, long[] pads, long groups = 1)
    {
        var (weight, shape) = Weight(name + ".weight");
        long outputs = shape[0], kernelHeight = shape[2], kernelWidth = shape[3];
        var bias = _state.TryGetValue(name + ".bias", out var b) ? b.Values : new float[outputs];
        var (foldedWeight, foldedBias) = batchNorm is null ? (weight, bias) : FoldOutputs(weight, bias, batchNorm, outputs);
        var (height, width) = _sizes[x];
        var output = _graph.Node("Conv", name,
            [x, _graph.Constant(name + ".weight", foldedWeight, shape), _graph.Constant(name + ".bias", foldedBias, outputs)],
            OnnxGraph.Ints("kernel_shape", kernelHeight, kernelWidth), OnnxGraph.Ints("strides", stride, stride), OnnxGraph.Ints("pads", pads),
            OnnxGraph.Int("group", groups));
        _sizes[output] = (StridedPadding.OutputSize(height, kernelHeight, stride, pads[0], pads[2]), StridedPadding.OutputSize(width, kernelWidth, stride, pads[1], pads[3]));
        return output;
    }

    private (float[] Weight, float[] Bias) FoldOutputs(float[] weight, float[] bias, string batchNorm, long outputs)
    {
        var (scale, shift) = BatchNormAffine(batchNorm, outputs);
        var perOutput = weight.Length / outputs;
        var foldedWeight = new float[weight.Length];
        var foldedBias = new float[outputs];
        for (long o = 0; o < outputs; o++)
        {
            for (long k = 0; k < perOutput; k++) foldedWeight[o * perOutput + k] = (float)(weight[o * perOutput + k] * scale[o]);
            foldedBias[o] = (float)(bias[o] * scale[o] + shift[o]);
        }
        return (foldedWeight, foldedBias);
    }

    /// <summary>A linear layer (Gemm, weight transposed) with an optional BatchNorm before it folded in.</summary>
    private string Linear(string x, string name, string? batchNormBefore, string? outputName = null)
    {
        var (weight, shape) = Weight(name + ".weight");
        long outputs = shape[0], inputs = shape[1];
        var bias = _state[name + ".bias"].Values;
        if (batchNormBefore is not null)
        {
            // W (x·s + t) + b = (W·diag(s)) x + (b + W t)
            var (scale, shift) = BatchNormAffine(batchNormBefore, inputs);
            var foldedWeight = new float[weight.Length];
            var foldedBias = new float[outputs];
            for (long o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (long i = 0; i < inputs; i++)
                {
                    foldedWeight[o * inputs + i] = (float)(weight[o * inputs + i] * scale[i]);
                    sum += weight[o * inputs + i] * shift[i];
                }
                foldedBias[o] = (float)sum;
            }
            (weight, bias) = (foldedWeight, foldedBias);
        }
        return _graph.Node("Gemm", outputName ?? name,
            [x, _graph.Constant(name + ".weight", weight, shape), _graph.Constant(name + ".bias", bias, outputs)],
            OnnxGraph.Int("transB", 1));
    }

    /// <summary>Evaluation-mode BatchNorm as y = x·scale + shift per channel, in double precision.</summary>
    private (double[] Scale, double[] Shift) BatchNormAffine(string name, long channels)
    {
        var gamma = _state[name + ".weight"].Values;
        var beta = _state[name + ".bias"].Values;
        var mean = _state[name + ".running_mean"].Values;
        var variance = _state[name + ".running_var"].Values;
        var epsilon = _epsilon[name];
        var scale = new double[channels];
        var shift = new double[channels];
        for (long c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] / Math.Sqrt(variance[c] + epsilon);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        return (scale, shift);
    }

    private string Pool(string op, string x, string name, long kernel, long stride, long[] pads)
    {
        var (height, width) = _sizes[x];
        var output = _graph.Node(op, name, [x],
            OnnxGraph.Ints("kernel_shape", kernel, kernel), OnnxGraph.Ints("strides", stride, stride), OnnxGraph.Ints("pads", pads));
        _sizes[output] = (StridedPadding.OutputSize(height, kernel, stride, pads[0], pads[2]), StridedPadding.OutputSize(width, kernel, stride, pads[1], pads[3]));
        return output;
    }

    private string Relu(string x, string? name = null)
    {
        var output = _graph.Node("Relu", name ?? x + ".relu", [x]);
        if (_sizes.TryGetValue(x, out var size)) _sizes[output] = size;
        return output;
    }

    private (float[] Values, long[] Shape) Weight(string name) =>
        _state.TryGetValue(name, out var weight)
            ? weight
            : throw new InvalidOperationException($"The model has no tensor '{name}' although its layout needs one; this is a bug in Holdout's exporter.");

    /// <summary>ONNX pads (top, left, bottom, right): symmetric, or one less at the end (CNTK's stride-2 padding).</summary>
    private static long[] Pads(long pad, bool trimEnd) => trimEnd ? [pad, pad, pad - 1, pad - 1] : [pad, pad, pad, pad];
}
