using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Holdout.Data;
using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Diagnostics;

/// <summary>
/// The pipeline and model checks of the doctor, on any <see cref="PipelineSetup"/>: the loss at initialisation,
/// train-mode against eval-mode predictions (the frozen-BatchNorm failure), input statistics against each other and
/// against the backbone's specification, the model's output activation against the loss, validation coverage, and
/// (with <see cref="PipelineCheckOptions.Deep"/>) overfitting one batch and fitting shuffled labels. Probes run on the
/// setup itself and put the model back as they found it.
/// </summary>
public static class PipelineChecks
{
    private static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs the checks and returns the findings and how long each check took.</summary>
    /// <param name="setup">The model, loss and batch sources to examine.</param>
    /// <param name="options">Which checks and how hard; defaults to <see cref="PipelineCheckOptions"/>'s defaults (no training).</param>
    /// <param name="cancellationToken">Stops the checks between probes.</param>
    public static (IReadOnlyList<Finding> Findings, IReadOnlyList<CheckTiming> Timings) Run(PipelineSetup setup, PipelineCheckOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        NativeRuntime.EnsureInitialized();
        options ??= new PipelineCheckOptions();
        var findings = new List<Finding>();
        var timings = new List<CheckTiming>();
        void Timed(string name, bool trains, Action action)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            action();
            timings.Add(new CheckTiming(name, clock.Elapsed.TotalSeconds, trains));
        }

        var device = ModelDevice(setup.Model);
        using var trainBatch = FirstBatch(setup.Train, options.ProbeSamples, cancellationToken);
        using var validationBatch = FirstBatch(setup.Validation, options.ProbeSamples, cancellationToken);
        Timed(FindingCodes.EvalCoverage, false, () => findings.AddRange(EvalCoverage(setup.Validation, cancellationToken)));
        Timed(FindingCodes.PreprocessingMismatch, false, () => findings.AddRange(Preprocessing(setup, options, cancellationToken)));
        Timed(FindingCodes.LossActivationMismatch, false, () => findings.AddRange(LossActivation(setup, validationBatch, device)));
        Timed(FindingCodes.BatchNormModeGap, false, () => findings.AddRange(ModeGap(setup, validationBatch, device)));
        if (!setup.Trained)
        {
            Timed(FindingCodes.InitLoss, false, () => findings.AddRange(InitLoss(setup, trainBatch, device)));
        }
        if (options.Deep)
        {
            Timed(FindingCodes.OneBatchOverfit, true, () => findings.AddRange(OneBatchOverfit(setup, trainBatch, device, options)));
            Timed(FindingCodes.LabelShuffleBaseline, true, () => findings.AddRange(LabelShuffle(setup, options, device, cancellationToken)));
            var deep = timings.Where(t => t.Trains).ToDictionary(t => t.Check, t => t.Seconds);
            for (var i = 0; i < findings.Count; i++)
            {
                if (deep.TryGetValue(findings[i].Code, out var seconds))
                {
                    findings[i] = findings[i] with { Seconds = seconds };
                }
            }
        }
        return (findings, timings);
    }

    // ---- batches ----------------------------------------------------------------------------------------------

    private sealed record ProbeBatch(Tensor Images, Tensor Labels) : IDisposable
    {
        public int Count => (int)Images.shape[0];

        public void Dispose()
        {
            Images.Dispose();
            Labels.Dispose();
        }
    }

    private static ProbeBatch FirstBatch(IBatchSource source, int maxSamples, CancellationToken cancellationToken)
    {
        var images = new List<Tensor>();
        var labels = new List<Tensor>();
        var count = 0;
        using (var scope = NewDisposeScope())
        {
            foreach (var batch in source.Batches(0, cancellationToken))
            {
                using var owned = batch;
                var take = Math.Min(batch.Count, maxSamples - count);
                images.Add(batch.Images.narrow(0, 0, take).clone());
                labels.Add(batch.Labels.narrow(0, 0, take).clone());
                count += take;
                if (count >= maxSamples)
                {
                    break;
                }
            }
            if (count == 0)
            {
                throw new HoldoutException("A batch source yielded no batches; the doctor needs at least one training and one validation batch. Check that both splits have images.");
            }
            var result = new ProbeBatch(cat(images, 0).DetachFromDisposeScope(), cat(labels, 0).to_type(ScalarType.Int64).DetachFromDisposeScope());
            return result;
        }
    }

    private static Device ModelDevice(nn.Module model) => model.parameters().FirstOrDefault()?.device ?? CPU;

    // ---- eval-coverage ----------------------------------------------------------------------------------------

    private sealed record Pass(List<int> Indices, Dictionary<int, double> Content);

    private static Pass ReadPass(IBatchSource source, int epoch, CancellationToken cancellationToken)
    {
        var indices = new List<int>();
        var content = new Dictionary<int, double>();
        foreach (var batch in source.Batches(epoch, cancellationToken))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            var sums = batch.Images.to_type(ScalarType.Float64).reshape(batch.Count, -1).sum(1).data<double>().ToArray();
            for (var i = 0; i < batch.Count; i++)
            {
                indices.Add(batch.Indices[i]);
                content.TryAdd(batch.Indices[i], sums[i]);
            }
        }
        return new Pass(indices, content);
    }

    private static List<Finding> EvalCoverage(IBatchSource validation, CancellationToken cancellationToken)
    {
        var n = validation.SampleCount;
        var first = ReadPass(validation, 0, cancellationToken);
        var second = ReadPass(validation, 0, cancellationToken);
        var nextEpoch = ReadPass(validation, 1, cancellationToken);
        var evidence = new List<string>();
        var coverageBroken = false;
        foreach (var (name, pass) in new[] { ("pass 1 (epoch 0)", first), ("pass 2 (epoch 0 again)", second), ("pass 3 (epoch 1)", nextEpoch) })
        {
            var counts = pass.Indices.GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
            var repeated = counts.Where(kv => kv.Value > 1).Select(kv => kv.Key).Order().ToList();
            var missing = Enumerable.Range(0, n).Where(i => !counts.ContainsKey(i)).ToList();
            var outside = counts.Keys.Where(i => i < 0 || i >= n).Order().ToList();
            if (repeated.Count + missing.Count + outside.Count == 0)
            {
                continue;
            }
            coverageBroken = true;
            evidence.Add(string.Create(Inv,
                $"{name}: yielded {pass.Indices.Count} samples for SampleCount {n}; {missing.Count} never yielded{Examples(missing)}, {repeated.Count} yielded more than once{Examples(repeated)}{(outside.Count > 0 ? $", {outside.Count} indices outside 0..{n - 1}" : "")}"));
        }
        var orderDiffers = !first.Indices.SequenceEqual(second.Indices);
        if (orderDiffers)
        {
            coverageBroken = true;
            var at = Enumerable.Range(0, Math.Min(first.Indices.Count, second.Indices.Count)).FirstOrDefault(i => first.Indices[i] != second.Indices[i]);
            evidence.Add(string.Create(Inv,
                $"two passes over epoch 0 yield different samples: position {at} holds sample {Get(first.Indices, at)} in pass 1 and {Get(second.Indices, at)} in pass 2; the source keeps its own counter across calls"));
        }
        var changed = first.Content.Keys.Where(k => second.Content.TryGetValue(k, out var v) && Math.Abs(v - first.Content[k]) > 1e-3 * Math.Max(1, Math.Abs(v))).ToList();
        if (changed.Count > 0)
        {
            evidence.Add(string.Create(Inv,
                $"{changed.Count} of {first.Content.Count} samples have different pixels in two passes over the same epoch{Examples(changed)}: random augmentation or other randomness in validation"));
        }
        if (evidence.Count == 0)
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.EvalCoverage, coverageBroken ? FindingSeverity.Error : FindingSeverity.Warning,
                coverageBroken
                    ? "The validation source does not yield every sample exactly once per pass: validation scores are computed on a changing, partly repeated subset."
                    : "The validation source yields different pixels for the same sample on different passes: validation scores are noisy.",
                evidence,
                coverageBroken
                    ? "Make the validation source stateless: derive each batch only from (epoch, batch number), cover samples 0..N-1 once in a fixed order, and keep the last partial batch (Holdout's BatchLoader.ForEvaluation does this)."
                    : "Turn off augmentation and other randomness for validation (BatchLoader.ForEvaluation)."),
        ];
    }

    private static string Get(List<int> list, int at) => at < list.Count ? list[at].ToString(Inv) : "nothing";

    private static string Examples(List<int> indices) =>
        indices.Count == 0 ? "" : $" (e.g. {string.Join(", ", indices.Take(5).Select(i => i.ToString(Inv)))})";

    // ---- preprocessing-mismatch -------------------------------------------------------------------------------

    private sealed class ChannelStatistics
    {
        public double[] Sum = [];
        public double[] Squares = [];
        public double[] Min = [];
        public double[] Max = [];
        public long PerChannel;
        public int Images;
        public int ImagesWithUnitMax;
        public int Batches;

        public double Mean(int c) => Sum[c] / PerChannel;

        public double Std(int c) => Math.Sqrt(Math.Max(0, Squares[c] / PerChannel - Mean(c) * Mean(c)));
    }

    private static ChannelStatistics Statistics(IBatchSource source, int batches, CancellationToken cancellationToken)
    {
        var stats = new ChannelStatistics();
        foreach (var batch in source.Batches(0, cancellationToken))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            var x = batch.Images.to_type(ScalarType.Float64);
            var channels = (int)x.shape[1];
            if (stats.Sum.Length == 0)
            {
                stats.Sum = new double[channels];
                stats.Squares = new double[channels];
                stats.Min = Enumerable.Repeat(double.PositiveInfinity, channels).ToArray();
                stats.Max = Enumerable.Repeat(double.NegativeInfinity, channels).ToArray();
            }
            var perChannel = x.transpose(0, 1).reshape(channels, -1);
            var sums = perChannel.sum(1).data<double>().ToArray();
            var squares = perChannel.square().sum(1).data<double>().ToArray();
            var mins = perChannel.amin([1]).data<double>().ToArray();
            var maxs = perChannel.amax([1]).data<double>().ToArray();
            for (var c = 0; c < channels; c++)
            {
                stats.Sum[c] += sums[c];
                stats.Squares[c] += squares[c];
                stats.Min[c] = Math.Min(stats.Min[c], mins[c]);
                stats.Max[c] = Math.Max(stats.Max[c], maxs[c]);
            }
            stats.PerChannel += perChannel.shape[1];
            var imageMax = x.reshape(batch.Count, -1).amax([1]).data<double>().ToArray();
            stats.Images += batch.Count;
            stats.ImagesWithUnitMax += imageMax.Count(m => Math.Abs(m - 1) < 1e-5);
            if (++stats.Batches >= batches)
            {
                break;
            }
        }
        return stats;
    }

    private static List<Finding> Preprocessing(PipelineSetup setup, PipelineCheckOptions options, CancellationToken cancellationToken)
    {
        var train = Statistics(setup.Train, options.StatisticsBatches, cancellationToken);
        var validation = Statistics(setup.Validation, options.StatisticsBatches, cancellationToken);
        var evidence = new List<string>();
        var problems = new List<string>();
        var channels = Math.Min(train.Sum.Length, validation.Sum.Length);
        for (var c = 0; c < channels; c++)
        {
            double mt = train.Mean(c), st = train.Std(c), mv = validation.Mean(c), sv = validation.Std(c);
            var d = (mv - mt) / Math.Max(st, 1e-12);
            var ratio = sv / Math.Max(st, 1e-12);
            evidence.Add(string.Create(Inv, $"channel {c}: train mean {mt:0.###} std {st:0.###}, validation mean {mv:0.###} std {sv:0.###} (shift {d:0.00} train std, std ratio {ratio:0.00})"));
            if (Math.Abs(d) > 0.5 || ratio is < 0.67 or > 1.5)
            {
                problems.Add($"train and validation inputs differ in channel {c}");
            }
        }
        var expected = setup.ExpectedInput ?? (setup.Model as ImageClassifier)?.Spec.Preprocessing;
        if (expected is not null)
        {
            var full = expected.Scale == ValueScale.Byte ? 255.0 : 1.0;
            // Natural photos: per-channel mean and spread near ImageNet's (RGB 0.485/0.456/0.406, std ~0.226 of full scale).
            double[] naturalMean = expected.ColorOrder == ColorOrder.Bgr ? [0.406, 0.456, 0.485] : [0.485, 0.456, 0.406];
            for (var c = 0; c < Math.Min(channels, expected.Mean.Length); c++)
            {
                var expectedMean = (naturalMean[c] * full - expected.Mean[c]) / expected.Std[c];
                var expectedStd = 0.226 * full / expected.Std[c];
                var low = (0 - expected.Mean[c]) / expected.Std[c];
                var high = (full - expected.Mean[c]) / expected.Std[c];
                foreach (var (name, s) in new[] { ("train", train), ("validation", validation) })
                {
                    var ratio = s.Std(c) / expectedStd;
                    var offset = (s.Mean(c) - expectedMean) / expectedStd;
                    if (ratio is < 0.25 or > 4 || Math.Abs(offset) > 3)
                    {
                        problems.Add($"{name} values are on a different scale from the backbone's normalisation");
                        evidence.Add(string.Create(Inv,
                            $"{name} channel {c}: observed mean {s.Mean(c):0.###} std {s.Std(c):0.###} range [{s.Min[c]:0.###}, {s.Max[c]:0.###}]; the backbone expects natural images normalised to about mean {expectedMean:0.##} std {expectedStd:0.##} within [{low:0.##}, {high:0.##}] (std {ratio:0.###}x expected)"));
                    }
                }
            }
            foreach (var (name, s) in new[] { ("train", train), ("validation", validation) })
            {
                if (s.Images > 1 && s.ImagesWithUnitMax == s.Images && full > 1.5)
                {
                    evidence.Insert(0, string.Create(Inv,
                        $"every {name} image has a maximum of exactly 1.0 ({s.Images} of {s.Images}): the images look divided by their own maximum, while the backbone expects {expected.Scale} values ({expected.ColorOrder}, minus mean [{string.Join(", ", expected.Mean.Select(m => m.ToString("0.##", Inv)))}], divided by std [{string.Join(", ", expected.Std.Select(m => m.ToString("0.###", Inv)))}])"));
                    problems.Add($"{name} images are divided by their own maximum (values 0..1) instead of getting the backbone's normalisation ({expected.Scale} {expected.ColorOrder} minus mean)");
                }
            }
        }
        if (problems.Count == 0)
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.PreprocessingMismatch, FindingSeverity.Error,
                $"The model's input is not what it expects: {string.Join("; ", Merge(problems))}.",
                evidence.OrderByDescending(e => !e.StartsWith("channel", StringComparison.Ordinal)).ToList(),
                expected is null
                    ? "Apply exactly the same resizing and normalisation to training and validation images; only random augmentation may differ."
                    : $"Feed the backbone what it was trained on: {expected.Scale} pixel values in {expected.ColorOrder} order, minus the spec's mean, divided by its std, the same for training and validation (Holdout's BatchLoader does this from the BackboneSpec); do not divide images by their own maximum."),
        ];
    }

    /// <summary>"train X" and "validation X" become "train and validation X".</summary>
    private static IEnumerable<string> Merge(List<string> problems)
    {
        var distinct = problems.Distinct().ToList();
        foreach (var problem in distinct)
        {
            if (problem.StartsWith("validation ", StringComparison.Ordinal) && distinct.Contains("train " + problem["validation ".Length..]))
            {
                continue;
            }
            if (problem.StartsWith("train ", StringComparison.Ordinal) && distinct.Contains("validation " + problem["train ".Length..]))
            {
                yield return "train and validation " + problem["train ".Length..];
                continue;
            }
            yield return problem;
        }
    }

    // ---- loss-activation-mismatch -----------------------------------------------------------------------------

    private enum OutputKind { Logits, Softmax, Sigmoid }

    private static (OutputKind Kind, string Evidence) ClassifyOutputs(Tensor outputs)
    {
        var flat = outputs.to_type(ScalarType.Float64);
        double min = flat.min().item<double>(), max = flat.max().item<double>();
        var rowSums = flat.sum(1);
        double sumMin = rowSums.min().item<double>(), sumMax = rowSums.max().item<double>();
        var inUnit = min >= -1e-6 && max <= 1 + 1e-6;
        var columns = outputs.shape[1];
        if (inUnit && columns > 1 && Math.Abs(sumMin - 1) < 1e-3 && Math.Abs(sumMax - 1) < 1e-3)
        {
            return (OutputKind.Softmax, string.Create(Inv, $"model outputs ({columns} per image) lie in [{min:0.###}, {max:0.###}] and every row sums to 1 (from {sumMin:0.####} to {sumMax:0.####}): they are already probabilities (a softmax ends the model)"));
        }
        if (inUnit)
        {
            return (OutputKind.Sigmoid, string.Create(Inv, $"model outputs ({columns} per image) all lie in [{min:0.###}, {max:0.###}] but rows sum to {sumMin:0.###}..{sumMax:0.###}: independent probabilities (a sigmoid ends the model)"));
        }
        return (OutputKind.Logits, string.Create(Inv, $"model outputs ({columns} per image) range over [{min:0.###}, {max:0.###}]: raw scores (logits)"));
    }

    private static double? TryLoss(Func<Tensor, Tensor, Tensor> loss, Tensor outputs, Tensor labels)
    {
        try
        {
            using var scope = NewDisposeScope();
            var value = loss(outputs, labels).to_type(ScalarType.Float64);
            return value.numel() == 1 ? value.item<double>() : value.mean().item<double>();
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static List<Finding> LossActivation(PipelineSetup setup, ProbeBatch batch, Device device)
    {
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        setup.Model.eval();
        var outputs = setup.Model.forward(batch.Images.to(device)).cpu();
        var labels = batch.Labels;
        var columns = (int)outputs.shape[1];
        var (kind, outputEvidence) = ClassifyOutputs(outputs);
        if (columns < 2)
        {
            return [];
        }
        var perfect = nn.functional.one_hot(labels, columns).to_type(ScalarType.Float32);
        var onPerfect = TryLoss(setup.Loss, perfect, labels);
        var logits = randn([labels.shape[0], columns], generator: new torch.Generator(1234)) * 4;
        var onLogits = TryLoss(setup.Loss, logits, labels);
        var uniform = full([labels.shape[0], (long)columns], 1.0 / columns);
        var other = (labels + 1) % columns;
        var bumped = uniform.clone().scatter_(1, other.unsqueeze(1), full([labels.shape[0], 1L], 0.9));
        var onUniform = TryLoss(setup.Loss, uniform, labels);
        var onBumped = TryLoss(setup.Loss, bumped, labels);

        var takesLogits = onPerfect is > 0.1;
        var needsProbabilities = onLogits is null || !double.IsFinite(onLogits.Value) || onLogits < 0 || onPerfect is < 0.05;
        var elementwise = onUniform is { } u && onBumped is { } b && Math.Abs(b - u) > 1e-3;
        var lossEvidence = new List<string>
        {
            outputEvidence,
            onPerfect is { } p
                ? string.Create(Inv, $"the loss of perfect one-hot predictions is {p:0.####}: {(p > 0.1 ? "the loss applies its own softmax/sigmoid (it expects logits)" : "the loss takes probabilities")}")
                : "the loss fails on one-hot predictions",
            onLogits is { } l && double.IsFinite(l)
                ? string.Create(Inv, $"the loss of random logits (values from -12 to 12) is {l:0.###}")
                : "the loss fails or returns NaN on logits outside [0, 1]: it expects probabilities",
        };
        if (!takesLogits && onUniform is { } u2 && onBumped is { } b2)
        {
            lossEvidence.Add(string.Create(Inv,
                $"raising a wrong-class output from {1.0 / columns:0.##} to 0.9 changes the loss from {u2:0.###} to {b2:0.###}: {(elementwise ? "each output is scored as its own yes/no question (binary cross-entropy)" : "only the true class's probability counts (categorical cross-entropy)")}"));
        }

        if (kind == OutputKind.Softmax && takesLogits)
        {
            return [new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Error,
                "The model already outputs probabilities (softmax) and the loss applies softmax again: gradients are squashed and training stalls.",
                lossEvidence, "Remove the softmax from the model's last layer and keep the logits loss (cross_entropy), or keep the softmax and use a loss on probabilities (nll_loss of log-probabilities).")];
        }
        if (kind == OutputKind.Softmax && elementwise && !takesLogits)
        {
            var severity = columns > 2 ? FindingSeverity.Error : FindingSeverity.Warning;
            var consequence = columns > 2
                ? "with more than two classes this optimises the wrong objective"
                : "for two classes the loss equals cross-entropy, but 'accuracy' computed the binary way (per output) reads high, and the setup breaks as soon as a class is added";
            return [new Finding(FindingCodes.LossActivationMismatch, severity,
                $"Softmax outputs are trained with binary cross-entropy: the classes exclude each other but the loss scores each of the {columns} outputs as an independent yes/no; {consequence}.",
                lossEvidence, "Remove the softmax from the model and train its logits with categorical cross-entropy (cross_entropy(logits, labels)); for two classes a single output with binary_cross_entropy_with_logits also works.")];
        }
        if (kind == OutputKind.Logits && needsProbabilities && !takesLogits)
        {
            return [new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Error,
                "The model outputs raw scores (logits) but the loss expects probabilities: the loss is meaningless or fails.",
                lossEvidence, "Use a loss that takes logits (cross_entropy or binary_cross_entropy_with_logits), or end the model with softmax/sigmoid.")];
        }
        if (kind == OutputKind.Sigmoid && !elementwise && !takesLogits)
        {
            return [new Finding(FindingCodes.LossActivationMismatch, FindingSeverity.Warning,
                "The model outputs independent sigmoid probabilities but the loss is categorical: outputs are not pushed to exclude each other.",
                lossEvidence, "For one class per image, output logits and use cross_entropy; for several labels per image, use binary cross-entropy.")];
        }
        return [];
    }

    // ---- bn-mode-gap -----------------------------------------------------------------------------------------

    private static Tensor AsProbabilities(Tensor outputs)
    {
        var (kind, _) = ClassifyOutputs(outputs);
        if (outputs.shape[1] == 1)
        {
            var p = kind == OutputKind.Logits ? sigmoid(outputs) : outputs;
            return cat([1 - p, p], 1);
        }
        return kind == OutputKind.Logits ? nn.functional.softmax(outputs, 1) : outputs;
    }

    private static List<Finding> ModeGap(PipelineSetup setup, ProbeBatch batch, Device device)
    {
        if (batch.Count < 2)
        {
            return [];
        }
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        var images = batch.Images.to(device);
        setup.Model.eval();
        var evaluated = AsProbabilities(setup.Model.forward(images).cpu());
        setup.Model.train();
        var all = ModelSnapshot.AllModules(setup.Model);
        var norms = all.OfType<BatchNorm>().ToList();
        var trainModeNorms = norms.Where(n => n.training).ToList();
        var momentumZero = trainModeNorms.Count(n => n.momentum is 0);
        var frozenNorms = trainModeNorms.Count(n => n.parameters().All(p => !p.requires_grad));
        foreach (var dropout in all.Where(m => m.GetType().Name.Contains("Dropout", StringComparison.Ordinal)))
        {
            dropout.eval();
        }
        var trained = AsProbabilities(setup.Model.forward(images).cpu());
        var difference = (trained - evaluated).abs().amax([1]);
        var meanGap = difference.mean().item<float>();
        var changed = trained.argmax(1).ne(evaluated.argmax(1)).to_type(ScalarType.Float32).mean().item<float>();
        var trainSpread = trained.amax([1]).mean().item<float>();
        var evalSpread = evaluated.amax([1]).mean().item<float>();
        var evalClasses = evaluated.argmax(1).unique().Item1.numel();
        // Near-uniform predictions flip their argmax on tiny changes; only a real shift in probabilities counts.
        if (meanGap < 0.1)
        {
            return [];
        }
        var statisticsNeverUpdate = momentumZero > 0 || frozenNorms > 0;
        var evidence = new List<string>
        {
            string.Create(Inv, $"on {batch.Count} validation images with dropout off, {changed:P0} of the predicted classes change between train mode and eval mode; class probabilities differ by {meanGap:0.###} on average (largest per image)"),
            string.Create(Inv, $"mean top probability: {trainSpread:0.###} in train mode, {evalSpread:0.###} in eval mode; eval mode predicts {evalClasses} distinct class(es) for the batch"),
            string.Create(Inv, $"{norms.Count} BatchNorm layers; {trainModeNorms.Count} run in train mode (batch statistics) when the model trains, {frozenNorms} of those are frozen (no trainable parameters), {momentumZero} have momentum 0 (their moving statistics never update)"),
        };
        return
        [
            new Finding(FindingCodes.BatchNormModeGap, statisticsNeverUpdate ? FindingSeverity.Error : FindingSeverity.Warning,
                statisticsNeverUpdate
                    ? "BatchNorm layers normalise with batch statistics while training but with stale moving statistics at evaluation: the model validated is not the model trained."
                    : "The model predicts differently in train mode and eval mode on the same images: its BatchNorm moving statistics do not match this data yet (they should adapt as it trains; if validation lags, check again after training).",
                evidence,
                "Keep frozen BatchNorm layers in eval mode while training (Holdout's default: FrozenBatchNorm = FrozenStaysInEval), or let them update their moving statistics (momentum > 0) when you train them; in Keras call the base model with training=False."),
        ];
    }

    // ---- init-loss --------------------------------------------------------------------------------------------

    private static List<Finding> InitLoss(PipelineSetup setup, ProbeBatch batch, Device device)
    {
        using var scope = NewDisposeScope();
        using var snapshot = new ModelSnapshot(setup.Model, parameters: false);
        using var noGrad = no_grad();
        setup.Model.train();
        var outputs = setup.Model.forward(batch.Images.to(device));
        var columns = Math.Max(2, (int)outputs.shape[1]);
        var loss = TryLoss(setup.Loss, outputs, batch.Labels.to(device));
        var expected = Math.Log(columns);
        if (loss is null)
        {
            return [new Finding(FindingCodes.InitLoss, FindingSeverity.Error, "The loss cannot be computed on the model's outputs for a training batch.",
                [$"loss(model(images), labels) failed on a batch of {batch.Count}"], "Check that the loss takes (outputs, int64 class labels) and matches the model's output shape.")];
        }
        if (!double.IsFinite(loss.Value))
        {
            return [new Finding(FindingCodes.InitLoss, FindingSeverity.Error, "The loss at initialisation is not a number.",
                [string.Create(Inv, $"initial loss {loss.Value} on a training batch of {batch.Count}")], "Check the input for NaN/inf values and the loss for log(0).")];
        }
        var tolerance = 0.5 * expected + 0.2;
        if (Math.Abs(loss.Value - expected) <= tolerance)
        {
            return [];
        }
        var logitScale = outputs.abs().max().item<float>();
        return
        [
            new Finding(FindingCodes.InitLoss, FindingSeverity.Warning,
                string.Create(Inv, $"The loss at initialisation is {loss.Value:0.###}, far from ln({columns}) = {expected:0.###} expected from uniform predictions: the model starts confidently {(loss.Value > expected ? "wrong" : "right")}."),
                [
                    string.Create(Inv, $"initial loss {loss.Value:0.####} on {batch.Count} training images in train mode; a classifier that spreads its bets evenly scores ln({columns}) = {expected:0.####}"),
                    string.Create(Inv, $"largest output magnitude {logitScale:0.###}"),
                ],
                "Initialise the last layer with small weights (and bias 0 or the class log-frequencies), check the input scale, and check the loss is averaged, not summed."),
        ];
    }

    // ---- one-batch-overfit and label-shuffle-baseline ---------------------------------------------------------

    private sealed record FitResult(double First, double Last, int Steps, double Accuracy, double GradientNorm, double MeanLoss);

    private static OptimizerHelper CreateOptimizer(PipelineSetup setup, IReadOnlyList<Parameter> parameters) =>
        setup.Optimizer?.Invoke(parameters) ?? torch.optim.Adam(parameters, 3e-3);

    private static FitResult Fit(PipelineSetup setup, Tensor images, Tensor labels,
        int maxSteps, double stopBelow)
    {
        var trainable = setup.Model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = CreateOptimizer(setup, trainable);
        setup.Model.train();
        double first = double.NaN, last = double.NaN, gradientNorm = 0, accuracy = 0, lossSum = 0;
        var steps = 0;
        for (; steps < maxSteps; steps++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var outputs = setup.Model.forward(images);
            var loss = setup.Loss(outputs, labels);
            loss.backward();
            if (steps == 0)
            {
                gradientNorm = Math.Sqrt(trainable.Where(p => p.grad is not null).Sum(p => p.grad!.square().sum().item<float>()));
            }
            optimizer.step();
            last = loss.item<float>();
            lossSum += last;
            if (steps == 0)
            {
                first = last;
            }
            accuracy = (outputs.shape[1] == 1 ? (outputs.squeeze(1) > 0).to_type(ScalarType.Int64) : outputs.argmax(1)).eq(labels).to_type(ScalarType.Float32).mean().item<float>();
            if (!double.IsFinite(last) || last < stopBelow)
            {
                steps++;
                break;
            }
        }
        return new FitResult(first, last, steps, accuracy, gradientNorm, lossSum / Math.Max(1, steps));
    }

    private static List<Finding> OneBatchOverfit(PipelineSetup setup, ProbeBatch batch, Device device, PipelineCheckOptions options)
    {
        var count = Math.Min(batch.Count, 8);
        using var snapshot = new ModelSnapshot(setup.Model, parameters: true);
        var trainable = setup.Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        if (trainable == 0)
        {
            return [new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Error, "The model has no trainable parameters: nothing can learn.",
                [$"{setup.Model.parameters().Count()} parameter tensors, all with requires_grad = false"], "Unfreeze at least the classifier head.")];
        }
        using var images = batch.Images.narrow(0, 0, count).to(device);
        using var labels = batch.Labels.narrow(0, 0, count).to(device);
        var columns = 2;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            columns = Math.Max(2, (int)setup.Model.forward(images).shape[1]);
        }
        var target = 0.1 * Math.Log(columns);
        FitResult fit;
        try
        {
            fit = Fit(setup, images, labels, options.OverfitSteps, target);
        }
        catch (ExternalException e)
        {
            return [new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Error, "A training step on one batch fails.",
                [e.Message.Split('\n')[0]], "Check that the loss is computed from the model's outputs without detaching them, and that its shapes match.")];
        }
        // Fitted: the loss is near zero, or every image is classified right and the loss is still falling fast.
        if (fit.Last < target || (fit.Accuracy >= 1 && fit.Last < 0.5 * fit.First))
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.OneBatchOverfit, FindingSeverity.Error,
                string.Create(Inv, $"The setup cannot fit one batch of {count} images: after {fit.Steps} steps the loss is {fit.Last:0.###} (from {fit.First:0.###}); a working pipeline drives it below {target:0.###}."),
                [
                    string.Create(Inv, $"loss {fit.First:0.####} -> {fit.Last:0.####} in {fit.Steps} steps on the same {count} training images; training accuracy on them {fit.Accuracy:P0}"),
                    string.Create(Inv, $"{trainable:N0} trainable parameters; gradient norm at the first step {fit.GradientNorm:0.###e+0}"),
                ],
                "Look for a pipeline or optimiser bug: a learning rate that is far too low (or too high), labels that do not belong to their images, a loss computed on detached outputs, or the trainable layers frozen."),
        ];
    }

    private static List<Finding> LabelShuffle(PipelineSetup setup, PipelineCheckOptions options, Device device, CancellationToken cancellationToken)
    {
        using var batch = FirstBatch(setup.Train, options.ShuffleSamples, cancellationToken);
        if (batch.Count < 4)
        {
            return [];
        }
        using var images = batch.Images.to(device);
        using var labels = batch.Labels.to(device);
        var order = Enumerable.Range(0, batch.Count).ToArray();
        new Random((int)(options.Seed & 0x7fffffff)).Shuffle(order);
        using var orderTensor = tensor(order.Select(i => (long)i).ToArray()).to(device);
        using var shuffled = labels.index_select(0, orderTensor);
        FitResult real, fake;
        using (new ModelSnapshot(setup.Model, parameters: true))
        {
            real = Fit(setup, images, labels, options.ShuffleSteps, double.NegativeInfinity);
        }
        using (new ModelSnapshot(setup.Model, parameters: true))
        {
            fake = Fit(setup, images, shuffled, options.ShuffleSteps, double.NegativeInfinity);
        }
        // "As easily": the loss averaged over the steps (the area under the curve), relative to where it started,
        // so two fits that both end near zero still differ in how fast they got there.
        var realDrop = (real.First - real.MeanLoss) / real.First;
        var fakeDrop = (fake.First - fake.MeanLoss) / fake.First;
        if (!double.IsFinite(realDrop) || realDrop <= 0 || fakeDrop < 0.8 * realDrop)
        {
            return [];
        }
        return
        [
            new Finding(FindingCodes.LabelShuffleBaseline, FindingSeverity.Warning,
                string.Create(Inv, $"The model learns shuffled labels almost as easily as the real ones ({fakeDrop / realDrop:P0} of the real labels' average loss drop): it can memorise training images instead of learning what the classes have in common."),
                [
                    string.Create(Inv, $"real labels: loss {real.First:0.###} -> {real.Last:0.###} (mean {real.MeanLoss:0.###}), accuracy {real.Accuracy:P0} after {real.Steps} steps on {batch.Count} training images"),
                    string.Create(Inv, $"shuffled labels: loss {fake.First:0.###} -> {fake.Last:0.###} (mean {fake.MeanLoss:0.###}), accuracy {fake.Accuracy:P0} after {fake.Steps} steps on the same images"),
                ],
                "Expect training accuracy to say little about validation: use a smaller model or freeze more of the backbone, add augmentation and weight decay, and get more images per class."),
        ];
    }
}
