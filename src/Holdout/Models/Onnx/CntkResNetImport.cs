namespace Holdout.Models.Onnx;

/// <summary>
/// A ResNet read from an ONNX graph by following it: the layout (blocks per stage, widths, padding) and the weights
/// under torchvision's parameter names, ready to be copied into a <see cref="ResNetBackbone"/>.
/// </summary>
internal sealed class CntkResNetImport
{
    private CntkResNetImport(ResNetLayout layout, IReadOnlyDictionary<string, OnnxTensor> weights, string sha256, string path)
    {
        Layout = layout;
        Weights = weights;
        Sha256 = sha256;
        Path = path;
    }

    public ResNetLayout Layout { get; }

    /// <summary>Weights by torchvision name (<c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer4.2.bn2.bias</c>, ...).</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Weights { get; }

    /// <summary>Lower-case hex SHA-256 of the ONNX file.</summary>
    public string Sha256 { get; }

    public string Path { get; }

    private static readonly Lock CacheLock = new();
    private static (string Key, WeakReference<CntkResNetImport> Import)? _cache;
    private static (string Key, Lazy<CntkResNetImport> Import)? _inFlight;

    /// <summary>
    /// Imports the file, reusing the last import of the same unchanged file while it is still in memory, and joining
    /// an import of it that another thread has under way (<see cref="Models.ModelFactory.PrefetchWeights"/>).
    /// </summary>
    public static CntkResNetImport Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new HoldoutException(
                $"The bundled pretrained ResNet-18 '{path}' is missing. Expected it beside the application (it is copied " +
                "from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 at build time); rebuild Holdout, " +
                "or pass --weights none to train from scratch.");
        }
        var key = $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        Lazy<CntkResNetImport> pending;
        lock (CacheLock)
        {
            if (_cache is { } cached && cached.Key == key && cached.Import.TryGetTarget(out var hit)) return hit;
            if (_inFlight is { } flight && flight.Key == key)
            {
                pending = flight.Import;
            }
            else
            {
                pending = new Lazy<CntkResNetImport>(() => Import(path), LazyThreadSafetyMode.ExecutionAndPublication);
                _inFlight = (key, pending);
            }
        }
        try
        {
            var import = pending.Value;
            lock (CacheLock) _cache = (key, new WeakReference<CntkResNetImport>(import));
            return import;
        }
        finally
        {
            // Done or failed: the next Load reads the cache, or tries again (a failed import is not remembered).
            lock (CacheLock)
            {
                if (_inFlight is { } flight && ReferenceEquals(flight.Import, pending)) _inFlight = null;
            }
        }
    }

    /// <summary>Reads and follows the graph.</summary>
    public static CntkResNetImport Import(string path)
    {
        var model = OnnxModel.Read(path, out var bytes);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var follower = new GraphFollower(model, path);
        return new CntkResNetImport(follower.Layout, follower.Weights, sha256, path);
    }

    /// <summary>Walks the graph from its input: stem, then residual blocks until the final average pool.</summary>
    private sealed class GraphFollower
    {
        private readonly OnnxModel _model;
        private readonly string _path;
        private readonly Dictionary<string, List<OnnxNode>> _consumers = new();
        private readonly Dictionary<string, OnnxTensor> _weights = new();

        public GraphFollower(OnnxModel model, string path)
        {
            _model = model;
            _path = path;
            foreach (var node in model.Nodes)
                foreach (var input in node.Inputs)
                    (_consumers.TryGetValue(input, out var list) ? list : _consumers[input] = []).Add(node);

            var input0 = model.Inputs.FirstOrDefault(i => !model.Initializers.ContainsKey(i)) ?? Fail("the graph has no image input");

            // Stem: Conv 7x7/2 -> BatchNormalization -> Relu -> MaxPool 3x3/2
            var stemConv = Single(input0, "Conv");
            var stemWidth = (int)Weight(stemConv, 1).Dims[0];
            var stemTrim = CheckPads(stemConv, expectedKernel: 7, expectedStride: 2, padBegin: 3);
            Take(stemConv, "conv1");
            var x = TakeBatchNorm(Single(stemConv.Outputs[0], "BatchNormalization"), "bn1");
            x = Single(x, "Relu").Outputs[0];
            var pool = Single(x, "MaxPool");
            var poolTrim = CheckPads(pool, expectedKernel: 3, expectedStride: 2, padBegin: 1);
            if (poolTrim != stemTrim) Fail("the stem convolution and the max-pool pad differently");
            x = pool.Outputs[0];

            // Residual blocks. A block whose input feeds two convolutions (3x3 main path, 1x1 shortcut) starts a stage.
            var stages = new List<int>();
            var widths = new List<int>();
            bool? bottleneck = null;
            long channels = stemWidth;
            while (true)
            {
                var consumers = Consumers(x);
                if (consumers.Count == 1 && consumers[0].OpType == "AveragePool") break;
                var convs = consumers.Where(n => n.OpType == "Conv").ToList();
                // The block input feeds its convolutions and, for an identity shortcut, the block's Add.
                if (consumers.Any(n => n.OpType is not ("Conv" or "Add")) || convs.Count is < 1 or > 2)
                    Fail($"expected a residual block or the final AveragePool after '{x}', found {string.Join(", ", consumers.Select(c => c.OpType))}");
                var shortcut = convs.Count == 2 ? convs.Single(c => c.Ints("kernel_shape").SequenceEqual([1L, 1L]) && IsShortcut(c)) : null;
                var main = convs.Single(c => c != shortcut);
                bool startsStage = shortcut is not null || stages.Count == 0;
                if (startsStage)
                {
                    stages.Add(0);
                    widths.Add((int)Weight(main, 1).Dims[0]);
                }
                var stage = stages.Count;
                var prefix = $"layer{stage}.{stages[^1]}";
                stages[^1]++;

                // Main path: Conv -> BN -> Relu -> Conv -> BN [-> Relu -> Conv -> BN for bottlenecks] -> Add
                var convIndex = 1;
                var conv = main;
                string y;
                while (true)
                {
                    var stride = conv.Ints("strides").DefaultIfEmpty(1).First();
                    var kernel = conv.Ints("kernel_shape")[0];
                    if (stride != 1 && CheckPads(conv, kernel, stride, padBegin: kernel / 2) != stemTrim)
                        Fail($"the strided convolution '{conv.Name}' pads differently from the stem");
                    if (stride == 1 && !conv.Ints("pads").All(p => p == kernel / 2))
                        Fail($"the convolution '{conv.Name}' does not use 'same' padding");
                    Take(conv, $"{prefix}.conv{convIndex}");
                    y = TakeBatchNorm(Single(conv.Outputs[0], "BatchNormalization"), $"{prefix}.bn{convIndex}");
                    var next = Consumers(y);
                    if (next.Count == 1 && next[0].OpType == "Add") break;
                    conv = Single(Single(y, "Relu").Outputs[0], "Conv");
                    convIndex++;
                }
                var blockIsBottleneck = convIndex == 3;
                if (convIndex is not (2 or 3)) Fail($"block {prefix} has {convIndex} convolutions; expected 2 (basic) or 3 (bottleneck)");
                if (bottleneck is not null && bottleneck != blockIsBottleneck) Fail("the graph mixes basic and bottleneck blocks");
                bottleneck = blockIsBottleneck;

                var add = Consumers(y)[0];
                string identity;
                if (shortcut is not null)
                {
                    Take(shortcut, $"{prefix}.downsample.0");
                    identity = TakeBatchNorm(Single(shortcut.Outputs[0], "BatchNormalization"), $"{prefix}.downsample.1");
                }
                else
                {
                    identity = x;
                }
                if (!add.Inputs.Contains(identity)) Fail($"the residual Add of block {prefix} does not add the block's shortcut");
                var outChannels = Weight(conv, 1).Dims[0];
                if (shortcut is null && outChannels != channels) Fail($"block {prefix} changes the channel count without a shortcut convolution");
                channels = outChannels;
                x = Single(add.Outputs[0], "Relu").Outputs[0];
            }

            var averagePool = Consumers(x)[0];
            if (!_model.Outputs.Contains(averagePool.Outputs[0]))
                Fail($"the final AveragePool's output '{averagePool.Outputs[0]}' is not a graph output");
            if (stages.Count != 4) Fail($"found {stages.Count} stages; expected 4");
            var expectedWidths = widths.Select((w, i) => w).ToArray();
            var isBottleneck = bottleneck ?? false;
            // The name says only what the graph shows; the factory names the bundled file after its provider.
            Layout = new ResNetLayout(bottleneck == true ? "resnet-cntk-bottleneck" : "resnet-cntk-basic",
                bottleneck == true, stages.ToArray(), widths.ToArray(), stemWidth, stemTrim);
            Weights = _weights;
        }

        public ResNetLayout Layout { get; }

        public IReadOnlyDictionary<string, OnnxTensor> Weights { get; }

        private bool IsShortcut(OnnxNode conv)
        {
            // The 1x1 shortcut convolution is followed by a BatchNormalization that feeds an Add directly.
            var bn = Consumers(conv.Outputs[0]);
            return bn.Count == 1 && bn[0].OpType == "BatchNormalization" && Consumers(bn[0].Outputs[0]).Any(n => n.OpType == "Add");
        }

        /// <summary>Checks kernel and stride, and returns whether the end padding is one less than the start (CNTK) rather than equal.</summary>
        private bool CheckPads(OnnxNode node, long expectedKernel, long expectedStride, long padBegin)
        {
            if (!node.Ints("kernel_shape").All(k => k == expectedKernel)) Fail($"'{node.Name}' has kernel {Show(node.Ints("kernel_shape"))}; expected {expectedKernel}");
            var strides = node.Ints("strides");
            if (!strides.All(s => s == expectedStride)) Fail($"'{node.Name}' has strides {Show(strides)}; expected {expectedStride}");
            var pads = node.Ints("pads");
            if (pads.Length != 4 || pads[0] != padBegin || pads[1] != padBegin || pads[2] != pads[3])
                Fail($"'{node.Name}' has pads {Show(pads)}; expected [{padBegin},{padBegin},e,e]");
            if (pads[2] == padBegin) return false;
            if (pads[2] == padBegin - 1) return true;
            return Fail<bool>($"'{node.Name}' has end pads {pads[2]}; expected {padBegin} or {padBegin - 1}");
        }

        private static string Show(long[] values) => $"[{string.Join(',', values)}]";

        private List<OnnxNode> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

        private OnnxNode Single(string tensor, string opType)
        {
            var consumers = Consumers(tensor);
            if (consumers.Count != 1 || consumers[0].OpType != opType)
                Fail($"expected '{tensor}' to feed one {opType}, found {(consumers.Count == 0 ? "nothing" : string.Join(", ", consumers.Select(c => c.OpType)))}");
            return consumers[0];
        }

        private OnnxTensor Weight(OnnxNode node, int input)
        {
            if (node.Inputs.Count <= input || !_model.Initializers.TryGetValue(node.Inputs[input], out var tensor))
                return Fail<OnnxTensor>($"input {input} of '{node.Name}' ({node.OpType}) is not a stored float weight");
            return tensor;
        }

        private void Take(OnnxNode conv, string name)
        {
            if (conv.Inputs.Count > 2) Fail($"the convolution '{conv.Name}' has a bias; expected none (BatchNorm follows)");
            if (conv.Ints("group").Any(g => g != 1) || conv.Ints("dilations").Any(d => d != 1)) Fail($"'{conv.Name}' is grouped or dilated");
            _weights[$"{name}.weight"] = Weight(conv, 1);
        }

        /// <summary>Takes scale, bias, mean and variance of a BatchNormalization node; returns its output.</summary>
        private string TakeBatchNorm(OnnxNode bn, string name)
        {
            var epsilon = bn.Float("epsilon") ?? 1e-5f;
            if (Math.Abs(epsilon - 1e-5f) > 1e-9f) Fail($"'{bn.Name}' has epsilon {epsilon}; expected 1e-5");
            _weights[$"{name}.weight"] = Weight(bn, 1);
            _weights[$"{name}.bias"] = Weight(bn, 2);
            _weights[$"{name}.running_mean"] = Weight(bn, 3);
            _weights[$"{name}.running_var"] = Weight(bn, 4);
            return bn.Outputs[0];
        }

        private string Fail(string what) => Fail<string>(what);

        private T Fail<T>(string what) => throw new HoldoutException(
            $"The ONNX model '{_path}' is not a ResNet Holdout can import: {what}. Expected a CNTK/ONNX ResNet " +
            "(Conv, BatchNormalization, Relu, Add, MaxPool, AveragePool); use the bundled file or --weights none.");
    }
}
