using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// An image classifier: a backbone (a ResNet in torchvision layout, or the seed's simple CNN) and a head. It owns
/// what must travel with it: the <see cref="BackboneSpec"/> (how to prepare its input), the class names, the options
/// it was built with, and which backbone stages are frozen and what their BatchNorm layers do while training.
/// </summary>
/// <remarks>
/// Parameter names are <c>backbone.*</c> (torchvision names for ResNets, e.g. <c>backbone.layer1.0.conv1.weight</c>)
/// and <c>head.*</c>. Forward: N x 3 x H x W images, prepared as <see cref="Spec"/> says, to N x C logits
/// (no softmax). Build one with <see cref="ModelFactory.Create(ModelOptions)"/> or <see cref="ModelBundle.Load"/>.
/// </remarks>
public sealed class ImageClassifier : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> backbone;
    private readonly Module<Tensor, Tensor> head;
    private readonly HeadPooling _pooling;
    private readonly IReadOnlyList<IReadOnlyList<Module>> _stages;
    private int _frozenStages;
    private BatchNormPolicy _frozenBatchNorm = BatchNormPolicy.FrozenStaysInEval;
    private Precision _precision = Precision.Fp32;
    private FoldedBackbone? _folded;

    internal ImageClassifier(ModelOptions options, BackboneSpec spec, ResNetLayout? layout, bool isPretrained) : base("image-classifier")
    {
        Options = options;
        Spec = spec;
        Layout = layout;
        IsPretrained = isPretrained;
        ClassNames = options.ClassNames.ToArray();
        var classes = options.ClassNames.Count;
        if (options.Architecture == Architecture.SimpleCnn)
        {
            backbone = new SimpleCnnFeatures();
            head = new SimpleCnnHead(SimpleCnnFeatures.FeatureDimension(options.ImageSize), classes);
            _pooling = HeadPooling.Flatten;
            _stages = [];
        }
        else
        {
            var net = Backbones.BackboneCatalog.Create(options.Architecture, layout);
            backbone = net;
            var headOptions = options.EffectiveHead;
            _pooling = headOptions.Pooling;
            head = new ClassifierHead(HeadInputs(net, () => Backbones.BackboneCatalog.Create(options.Architecture, layout), headOptions.Pooling, options.ImageSize), classes, headOptions);
            _stages = net.Stages;
        }
        RegisterComponents();
    }

    /// <summary>How the input must be prepared, what the backbone is and where its weights came from.</summary>
    public BackboneSpec Spec { get; private set; }

    /// <summary>True when the head pools the backbone's map globally, so the model takes any input size.</summary>
    public bool TakesAnyInputSize => _pooling == HeadPooling.Average && backbone is Backbone;

    /// <summary>
    /// The side evaluation and prediction render images at (<see cref="Imaging.Preprocessing.EvaluationSize"/> of
    /// <see cref="Spec"/>); training always renders at <see cref="ModelOptions.ImageSize"/>. A model whose head flattens
    /// its map (the simple CNN, <see cref="HeadPooling.Flatten"/>) takes only its input size.
    /// </summary>
    /// <exception cref="HoldoutException">The size is out of range, or differs from the input size of a model that
    /// takes only that.</exception>
    public int EvaluationSize
    {
        get => Spec.Preprocessing.EvaluationSize;
        set
        {
            if (value == Spec.Preprocessing.EvaluationSize) return;
            if (value < 32 || value > ModelBundle.MaxImageSize)
                throw new HoldoutException($"The evaluation size must be from 32 to {ModelBundle.MaxImageSize} pixels, got {value}.");
            if (value != Options.ImageSize && !TakesAnyInputSize)
                throw new HoldoutException(
                    $"This model's head flattens its feature map, so it only takes {Options.ImageSize} x {Options.ImageSize} input; it cannot evaluate at {value} pixels. " +
                    "Leave --eval-size out, or use a ResNet with the default (average-pooling) head.");
            Spec = Spec with { Preprocessing = Spec.Preprocessing.WithEvaluationSize(value) };
        }
    }

    /// <summary>Class names in label order (output index i is class ClassNames[i]).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The options the model was built with.</summary>
    public ModelOptions Options { get; }

    /// <summary>Whether the backbone started from pretrained weights (bundled or from a file).</summary>
    public bool IsPretrained { get; }

    /// <summary>The ResNet layout, or null for the simple CNN and the other architectures.</summary>
    internal ResNetLayout? Layout { get; }

    /// <summary>The pretrained-style backbone (ResNet, EfficientNet, ...), or null for the simple CNN.</summary>
    internal Backbone? Net => backbone as Backbone;

    /// <summary>
    /// The number of freezable backbone stages, earliest first: stem, layer1..layer4 for ResNets (5); torchvision's
    /// <c>features.0</c>..<c>features.N</c> for EfficientNet-B0 (9), MobileNetV3-Large (17) and ConvNeXt-Tiny (8); 0 for
    /// the simple CNN.
    /// </summary>
    public int StageCount => _stages.Count;

    /// <summary>How many leading backbone stages are frozen (0 when none).</summary>
    public int FrozenStages => _frozenStages;

    /// <summary>
    /// What BatchNorm layers in frozen stages do while the model trains. Defaults to
    /// <see cref="BatchNormPolicy.FrozenStaysInEval"/>. Changing it applies at once.
    /// </summary>
    public BatchNormPolicy FrozenBatchNorm
    {
        get => _frozenBatchNorm;
        set
        {
            _frozenBatchNorm = value;
            ApplyFreezing();
        }
    }

    /// <summary>
    /// The number format of the backbone's convolutions: <see cref="Precision.Fp32"/> (the default) or
    /// <see cref="Precision.Bf16"/> (mixed precision: bfloat16 convolutions on float32 master weights; BatchNorm
    /// statistics, the pooled features, the head, the loss and the softmax stay float32). Setting
    /// <see cref="Precision.Auto"/> picks the faster of the two for inference at batch 32 and the
    /// <see cref="EvaluationSize"/>, by measurement (<see cref="PrecisionChoices"/>); for other work, set the result of
    /// <see cref="PrecisionChoices.Choose(ImageClassifier, Precision, PrecisionWorkload, int, int)"/> instead.
    /// </summary>
    public Precision Precision
    {
        get => _precision;
        set => _precision = value == Precision.Auto
            ? PrecisionChoices.Choose(this, value, PrecisionWorkload.Inference, 32, EvaluationSize).Precision
            : PrecisionSupport.Resolve(value, ModelOutputs.DeviceOf(this));
    }

    /// <summary>
    /// Freezes the first <paramref name="stages"/> backbone stages (all of them when null): their parameters stop
    /// receiving gradients, and their BatchNorm layers follow <see cref="FrozenBatchNorm"/>. Stages after them and
    /// the head are trainable.
    /// </summary>
    /// <param name="stages">How many leading stages to freeze, 0..<see cref="StageCount"/>; null (the default) freezes the whole backbone.</param>
    /// <exception cref="HoldoutException">The model has no freezable backbone (simple CNN) or the count is out of range.</exception>
    public void FreezeBackbone(int? stages = null)
    {
        var count = stages ?? StageCount;
        if (StageCount == 0 && count > 0 || stages is null && StageCount == 0)
        {
            throw new HoldoutException(
                "The simple CNN has no pretrained backbone to freeze; it trains from scratch. Expected a pretrained-style " +
                "architecture (a ResNet, EfficientNet-B0, MobileNetV3-Large or ConvNeXt-Tiny) for freezing; use --model resnet18 with --weights bundled, or --recipe scratch (no freezing).");
        }
        if (count < 0 || count > StageCount)
        {
            throw new HoldoutException(
                $"Cannot freeze {count} backbone stages: this model has {StageCount} ({Net?.StageNames}). " +
                $"Expected a number from 0 to {StageCount}.");
        }
        _frozenStages = count;
        ApplyFreezing();
    }

    /// <summary>Makes every parameter trainable again and lets every BatchNorm layer follow the model's mode.</summary>
    public void Unfreeze()
    {
        _frozenStages = 0;
        ApplyFreezing();
    }

    /// <summary>
    /// Sets training or evaluation mode. In training mode, BatchNorm layers of frozen stages stay in evaluation mode
    /// when <see cref="FrozenBatchNorm"/> is <see cref="BatchNormPolicy.FrozenStaysInEval"/>, and the stochastic depth of
    /// frozen stages (EfficientNet-B0, ConvNeXt-Tiny) always does: a frozen stage computes in training what it computes
    /// in evaluation (with <see cref="BatchNormPolicy.TrainBatchNorm"/>, its BatchNorm excepted). Evaluation mode puts
    /// every layer in evaluation mode.
    /// </summary>
    /// <param name="train">True for training mode (the default), false for evaluation mode.</param>
    public override void train(bool train = true)
    {
        base.train(train);
        if (!train) return;
        foreach (var depth in FrozenModules().OfType<Backbones.StochasticDepth>()) depth.eval();
        if (_frozenBatchNorm == BatchNormPolicy.TrainBatchNorm) return;
        var kept = _frozenBatchNorm == BatchNormPolicy.AlwaysEval ? _stages.SelectMany(stage => stage).SelectMany(m => m.modules().Prepend(m)) : FrozenModules();
        foreach (var norm in kept.OfType<BatchNorm>()) norm.eval();
    }

    /// <summary>
    /// Trainable parameters in groups for discriminative learning rates: one group per backbone stage, earliest
    /// first, then the head last. Frozen parameters are left out, and so are groups with nothing to train. The
    /// simple CNN has two groups: its convolutions, then its dense layers.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> ParameterGroups()
    {
        var groups = new List<IReadOnlyList<Parameter>>();
        if (_stages.Count == 0)
        {
            groups.Add(backbone.parameters().Where(p => p.requires_grad).ToList());
        }
        else
        {
            foreach (var stage in _stages)
                groups.Add(stage.SelectMany(m => m.parameters()).Where(p => p.requires_grad).ToList());
        }
        groups.Add(head.parameters().Where(p => p.requires_grad).ToList());
        return groups.Where(g => g.Count > 0).ToList();
    }

    /// <summary>
    /// The backbone's output, pooled as the head expects (N x D: global average, or the flattened map), in the
    /// model's current mode. <c>Classify(Features(x))</c> equals <c>forward(x)</c>.
    /// </summary>
    /// <param name="images">N x 3 x H x W images, prepared as <see cref="Spec"/> says.</param>
    public Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var compute = ComputeType;
        var input = images.dtype == compute ? images : images.to(compute);
        if (UsesChannelsLast) input = ChannelsLast(input);
        var map = _folded is { } folded && !training && folded.DType == compute && folded.ChannelsLast == UsesChannelsLast ? folded.Forward(input) : backbone.forward(input);
        if (map.dtype != ScalarType.Float32) map = map.to(ScalarType.Float32);
        return Pool(map).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The activation map Grad-CAM explains, in float32 and the model's current mode: a ResNet's last block (layer4,
    /// N x C x h x w), the simple CNN's last convolution. <c>ClassifyMap(ExplainedMap(x))</c> equals <c>forward(x)</c>.
    /// </summary>
    /// <param name="images">N x 3 x H x W images, prepared as <see cref="Spec"/> says.</param>
    internal Tensor ExplainedMap(Tensor images)
    {
        using var scope = NewDisposeScope();
        var compute = ComputeType;
        var input = images.dtype == compute ? images : images.to(compute);
        if (UsesChannelsLast) input = ChannelsLast(input);
        var map = backbone switch
        {
            SimpleCnnFeatures cnn => cnn.LastConvolution(input),
            _ when _folded is { } folded && !training && folded.DType == compute && folded.ChannelsLast == UsesChannelsLast => folded.Forward(input),
            _ => backbone.forward(input),
        };
        if (map.dtype != ScalarType.Float32) map = map.to(ScalarType.Float32);
        return map.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Logits from <see cref="ExplainedMap"/>'s map: the rest of the backbone, the pooling and the head.</summary>
    /// <param name="map">The map, float32.</param>
    internal Tensor ClassifyMap(Tensor map)
    {
        using var scope = NewDisposeScope();
        var features = backbone switch
        {
            SimpleCnnFeatures cnn => cnn.FromLastConvolution(map),
            _ => Pool(map),
        };
        return head.forward(features).MoveToOuterDisposeScope();
    }

    /// <summary>The head's input from the backbone's float32 map: the backbone's pooling, or the flattened map.</summary>
    private Tensor Pool(Tensor map) =>
        _pooling == HeadPooling.Average && map.dim() == 4 && backbone is Backbone net ? net.Pool(map) : map.flatten(1);

    /// <summary>
    /// Whether the backbone runs channels-last (<see cref="ChannelsLast"/>): in bfloat16, for the basic-block ResNets
    /// (18 and 34, whose convolutions have at most 512 outputs).
    /// </summary>
    internal bool UsesChannelsLast => _precision == Precision.Bf16 && Layout is { Bottleneck: false };

    private ScalarType ComputeType => _precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>
    /// Until the returned scope is disposed, evaluation-mode passes through the backbone use a snapshot of it with
    /// every BatchNorm folded into its convolution (<see cref="FoldedBackbone"/>): the same function, computed faster.
    /// The weights must not change inside the scope; training-mode passes do not use the snapshot. For the simple CNN,
    /// or inside another such scope, the scope does nothing.
    /// </summary>
    internal IDisposable FoldedInference()
    {
        if (_folded is not null || backbone is not ResNetBackbone resnet) return NoFolding.Instance;
        _folded = new FoldedBackbone(resnet, ComputeType, UsesChannelsLast);
        return new FoldingScope(this);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _folded?.Dispose();
            _folded = null;
        }
        base.Dispose(disposing);
    }

    private sealed class FoldingScope(ImageClassifier model) : IDisposable
    {
        public void Dispose()
        {
            model._folded?.Dispose();
            model._folded = null;
        }
    }

    private sealed class NoFolding : IDisposable
    {
        public static readonly NoFolding Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// The same N x C x H x W values stored channels-last (N x H x W x C strides, libtorch's <c>channels_last</c>, which
    /// TorchSharp does not expose). A convolution given such an input runs oneDNN's channels-last kernels and returns
    /// channels-last output, so the whole backbone stays in that layout without reorders between layers. In bfloat16
    /// this makes ResNet-18's inference faster (see docs/benchmarks.md), so <see cref="Features"/> uses it there
    /// (<see cref="UsesChannelsLast"/>). Where not, and why: libtorch 2.10's float32 1x1 convolutions give wrong results
    /// on channels-last input (stride 2, or maps of 4x4 and below), and its bfloat16 1x1 convolutions with 1024 outputs
    /// (ResNet-50) die with SIGFPE on small channels-last maps. Its bfloat16 kernels for ResNet-18/34's shapes match the
    /// default layout's accuracy forward and backward (InferenceKernelTests check both choices).
    /// </summary>
    internal static Tensor ChannelsLast(Tensor images) =>
        images.dim() != 4 ? images : images.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>The head alone: features (from <see cref="Features"/>) to N x C logits.</summary>
    /// <param name="features">N x D features.</param>
    public Tensor Classify(Tensor features) => head.forward(features);

    /// <summary>Images to logits: N x 3 x H x W to N x C.</summary>
    /// <param name="images">N x 3 x H x W images, prepared as <see cref="Spec"/> says.</param>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return Classify(Features(images)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Starts the head's output layer over so the model's first predictions are the class priors: weights zero, bias
    /// log(prior). The first loss is then the priors' entropy (ln C for balanced classes), as Karpathy's recipe asks,
    /// instead of a confident random guess. New models start with uniform priors.
    /// </summary>
    /// <param name="classPriors">Each class's share of the training images (any positive scale), or null for uniform.</param>
    /// <exception cref="HoldoutException">The number of priors is not the number of classes.</exception>
    public void InitialiseHead(IReadOnlyList<double>? classPriors)
    {
        switch (head)
        {
            case ClassifierHead h:
                h.Initialise(classPriors);
                break;
            case SimpleCnnHead h:
                h.Initialise(classPriors);
                break;
        }
    }

    /// <summary>
    /// The head's only layer when the head is one linear layer on the pooled features (the default head of a ResNet),
    /// which a linear probe can fit directly; null otherwise.
    /// </summary>
    internal Linear? LinearHead => (head as ClassifierHead)?.PlainOutput;

    /// <summary>The backbone module (torchvision names for ResNets), for loading weights.</summary>
    internal Module<Tensor, Tensor> Backbone => backbone;

    private static long HeadInputs(Backbone net, Func<Backbone> another, HeadPooling pooling, int imageSize)
    {
        if (pooling == HeadPooling.Average) return net.FeatureDimension;
        using var noGrad = no_grad();
        // The flattened size depends on the input size; measure it once with a tiny forward pass of a fresh copy.
        using var probe = another();
        probe.eval();
        using var output = probe.forward(zeros(1, 3, imageSize, imageSize));
        return output.shape[1] * output.shape[2] * output.shape[3];
    }

    private IEnumerable<Module> FrozenModules() =>
        _stages.Take(_frozenStages).SelectMany(stage => stage).SelectMany(m => m.modules().Prepend(m));

    private void ApplyFreezing()
    {
        for (int i = 0; i < _stages.Count; i++)
        {
            var frozen = i < _frozenStages;
            foreach (var module in _stages[i].SelectMany(m => m.modules().Prepend(m)))
            {
                var keepsTraining = module is BatchNorm && _frozenBatchNorm == BatchNormPolicy.TrainBatchNorm;
                foreach (var (_, parameter) in module.named_parameters(recurse: false))
                    parameter.requires_grad = !frozen || keepsTraining;
            }
        }
        train(training);
    }
}
