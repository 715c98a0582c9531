using Holdout.Data;
using Holdout.Imaging;
using Holdout.Metrics;
using Holdout.Models;
using Holdout.Native;
using Holdout.Training;
using static TorchSharp.torch;

namespace Holdout.Runs;

/// <summary>
/// Everything a run is made of, built once from its options and its split — Holdout's equivalent of fastai's
/// <c>Learner</c>: the model (with its own preprocessing and BatchNorm policy), the batch loaders of every split, the
/// one <see cref="ClassificationLoss"/>, the optimiser options and the <see cref="Recipe"/>'s phases.
/// <c>holdout train</c>, <c>doctor --run</c>, <c>lr-find</c>, <c>preview</c> and <c>evaluate</c> all take their
/// setup from here, so what they train, probe, show and evaluate is the same thing.
/// </summary>
/// <example><code>
/// var data = RunData.Prepare(new TrainRunOptions(Data: "photos/"));
/// using var setup = RunSetup.Create(new TrainRunOptions(Data: "photos/"), data.Split);
/// setup.Fit(callbacks: [new EarlyStopping(patience: 3)]);
/// Console.WriteLine(setup.Evaluate(DataSplit.Test).Accuracy);
/// </code></example>
public sealed class RunSetup : IDisposable
{
    private readonly bool _ownsModel;
    private readonly SplitManifest? _split;
    private readonly Dictionary<DataSplit, BatchLoader> _evaluation = [];
    private BatchLoader? _train;
    private readonly Dictionary<DataSplit, FeatureCache> _features = [];
    private HeadModule? _head;

    private RunSetup(TrainRunOptions options, SplitManifest? split, ImageClassifier model, bool ownsModel, IReadOnlyList<float>? classWeights)
    {
        Options = options;
        _split = split;
        Model = model;
        _ownsModel = ownsModel;
        Recipe = Recipe.For(options);
        Shard = Distributed.ProcessGroup.Current.Shard;
        PrecisionChoice = new PrecisionChoice(model.Precision, model.Precision, "set by the caller");
        model.FrozenBatchNorm = options.EffectiveBatchNorm;
        TrainingOptions = TrainingOptionsFor(options, split, classWeights);
        Loss = ClassificationLoss.For(TrainingOptions);
    }

    /// <summary>
    /// The training options of a run: its optimiser, weight decay, seed and loss (label smoothing, and class weights
    /// given or, with <c>--class-weights</c>, from the split's training counts).
    /// </summary>
    internal static TrainingOptions TrainingOptionsFor(TrainRunOptions options, SplitManifest? split, IReadOnlyList<float>? classWeights = null)
    {
        var weights = classWeights?.ToArray()
            ?? (options.ClassWeights && split is not null ? Data.ClassWeights.InverseFrequency(split.Samples(DataSplit.Train), split.ClassNames.Count) : null);
        return new TrainingOptions(options.Optimizer, options.WeightDecay, 0.9, LossKind.CrossEntropy, options.LabelSmoothing, weights, options.Seed);
    }

    /// <summary>
    /// Builds a fresh setup: the model as the options say (new layers initialised from the seed), its loaders over
    /// <paramref name="split"/>, the loss and the recipe.
    /// </summary>
    /// <param name="options">The run's options (checked first).</param>
    /// <param name="split">The run's split; its class names become the model's outputs.</param>
    /// <exception cref="HoldoutException">An option is invalid, or the model cannot be built.</exception>
    public static RunSetup Create(TrainRunOptions options, SplitManifest split) => Create(options, split, precision: null);

    /// <summary>As <see cref="Create(TrainRunOptions, SplitManifest)"/>, with the precision already chosen (a resumed run keeps the one it started with).</summary>
    internal static RunSetup Create(TrainRunOptions options, SplitManifest split, PrecisionChoice? precision)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(split);
        options.Validate();
        if (options.EffectiveRecipe != RecipeKind.Scratch && options.Model == Architecture.SimpleCnn)
            throw new HoldoutException($"--recipe {OptionNames.Of(options.EffectiveRecipe)} needs a backbone to freeze, but {OptionNames.Of(options.Model)} has none. Use --recipe scratch.");
        NativeRuntime.EnsureInitialized();
        var model = ModelFactory.Create(new ModelOptions(options.Model, split.ClassNames, options.EffectiveImageSize, options.EffectiveWeights, Seed: options.Seed));
        try
        {
            // Precision before the head is initialised: timing it (for auto) must not see trained or primed weights,
            // and draws no random number, so the seed's stream is the same whichever precision wins.
            var recipe = Recipe.For(options);
            precision ??= PrecisionChoices.Choose(model, options.Precision,
                BackboneFixed(recipe, model, options) ? PrecisionWorkload.Inference : PrecisionWorkload.Training, options.BatchSize, options.EffectiveImageSize);
            // The ranks of a data-parallel run compute in rank 0's choice: each timed its own, and they must agree.
            if (Distributed.ProcessGroup.Current is { Size: > 1 } group)
            {
                var agreed = (Precision)group.Broadcast((long)precision.Precision);
                var reason = group.Broadcast(precision.Reason);
                if (!group.IsRoot) precision = precision with { Precision = agreed, Reason = reason };
            }
            model.Precision = precision.Precision;
            // The new head's first predictions are the training split's class frequencies (loss = their entropy).
            var counts = split.Counts();
            model.InitialiseHead([.. Enumerable.Range(0, split.ClassNames.Count).Select(c => (double)counts[c, (int)DataSplit.Train])]);
            return new RunSetup(options, split, model, ownsModel: true, classWeights: null) { PrecisionChoice = precision };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A setup around an already trained model (e.g. a run's <c>best.holdout</c>), for evaluating it exactly as its
    /// run did. The model stays the caller's to dispose, with the precision the caller gave it.
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="options">The options it was trained with (batch size, workers, loss settings).</param>
    /// <param name="split">Its run's split, or null when only other images will be evaluated.</param>
    /// <param name="classWeights">The class weights of its loss when there is no split to derive them from; null otherwise.</param>
    public static RunSetup ForModel(ImageClassifier model, TrainRunOptions options, SplitManifest? split = null, IReadOnlyList<float>? classWeights = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        NativeRuntime.EnsureInitialized();
        return new RunSetup(options, split, model, ownsModel: false, classWeights);
    }

    /// <summary>The run's options.</summary>
    public TrainRunOptions Options { get; }

    /// <summary>
    /// The precision the model computes in and why: with <see cref="TrainRunOptions.Precision"/> auto, the faster of
    /// float32 and bfloat16 for the recipe's work (all-layers training steps, or forward passes when the backbone stays
    /// fixed) at the run's batch and image size, measured (<see cref="PrecisionChoices"/>). For a setup made with
    /// <see cref="ForModel"/>, the precision the caller gave the model.
    /// </summary>
    public PrecisionChoice PrecisionChoice { get; private init; }

    /// <summary>The run's split.</summary>
    /// <exception cref="InvalidOperationException">The setup was made for a model alone, without a split.</exception>
    public SplitManifest Split => _split ?? throw new InvalidOperationException("This setup has no split: it was made for a trained model alone (RunSetup.ForModel without a split).");

    /// <summary>The model.</summary>
    public ImageClassifier Model { get; }

    /// <summary>How images become the model's input (the model's own preprocessing).</summary>
    public Preprocessing Preprocessing => Model.Spec.Preprocessing;

    /// <summary>The recipe of the options.</summary>
    public Recipe Recipe { get; }

    /// <summary>Optimiser, weight decay, loss settings and seed for the <see cref="Trainer"/>.</summary>
    public TrainingOptions TrainingOptions { get; }

    /// <summary>The one loss: trained with, reported as <c>loss</c> and <c>val_loss</c>, used by evaluation and the doctor.</summary>
    public ClassificationLoss Loss { get; }

    /// <summary>
    /// This process's part of every batch: the whole batch, or in a data-parallel job (several ranks in
    /// <see cref="Distributed.ProcessGroup.Current"/> when the setup was made) this rank's slice. The training and
    /// evaluation loaders load only that slice; training and evaluation combine the ranks' results.
    /// </summary>
    public Distributed.Shard Shard { get; }

    /// <summary>The training loader: every training image once per epoch in a seeded order, augmented as the options say (this rank's slice of each batch, see <see cref="Shard"/>).</summary>
    public BatchLoader Train => _train ??= BatchLoader.ForTraining(Split.Samples(DataSplit.Train), Preprocessing, TrainLoaderOptions(Shard));

    /// <summary>The training loader of the whole batches, whatever the <see cref="Shard"/> (the preview shows what the job's batches hold).</summary>
    internal BatchLoader WholeTrain => Shard.IsWhole ? Train : BatchLoader.ForTraining(Split.Samples(DataSplit.Train), Preprocessing, TrainLoaderOptions(null));

    private BatchLoaderOptions TrainLoaderOptions(Distributed.Shard? shard) => new(
        BatchSize: Options.BatchSize, Workers: Options.Workers, DropLast: Options.DropLast,
        Augmentation: AugmentationOptions.Preset(Options.Augment), Seed: Seeds.Derive(Options.Seed, SeedPurpose.TrainingLoader),
        Shard: shard is { IsWhole: false } ? shard : null);

    /// <summary>The validation loader (evaluation transform, fixed order).</summary>
    public BatchLoader Validation => Evaluation(DataSplit.Validation);

    /// <summary>An evaluation loader over one split of the run (evaluation transform, manifest order, no augmentation).</summary>
    /// <param name="split">The split.</param>
    public BatchLoader Evaluation(DataSplit split)
    {
        if (!_evaluation.TryGetValue(split, out var loader)) _evaluation[split] = loader = Evaluation(Split.Samples(split));
        return loader;
    }

    /// <summary>An evaluation loader over any labelled images, prepared as the run prepares its validation images.</summary>
    /// <param name="samples">The images, labelled with the model's class indices.</param>
    public BatchLoader Evaluation(IReadOnlyList<ImageSample> samples) =>
        BatchLoader.ForEvaluation(samples, Preprocessing, new BatchLoaderOptions(BatchSize: Options.BatchSize, Workers: Options.Workers, Shard: Shard.IsWhole ? null : Shard));

    /// <summary>
    /// True when <paramref name="recipe"/> never changes the backbone: every phase trains only the head and BatchNorm
    /// statistics stay frozen. The backbone's features of each split are then the same all run long, so each image
    /// goes through the backbone once per run: validation and the final evaluation run the head on them.
    /// </summary>
    /// <param name="recipe">The recipe to run.</param>
    public bool KeepsBackboneFixed(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        return BackboneFixed(recipe, Model, Options);
    }

    private static bool BackboneFixed(Recipe recipe, ImageClassifier model, TrainRunOptions options) =>
        recipe.Phases.All(p => p.FrozenBackbone) && model.StageCount > 0 && options.EffectiveBatchNorm != BatchNormPolicy.TrainBatchNorm;

    /// <summary>
    /// True when <paramref name="recipe"/> keeps the backbone fixed and the training images are never augmented: then
    /// the head trains on the cached features too, and each further epoch costs almost nothing.
    /// </summary>
    /// <param name="recipe">The recipe to run.</param>
    public bool CachesFeatures(Recipe recipe) => KeepsBackboneFixed(recipe) && !AugmentationOptions.Preset(Options.Augment).IsEnabled;

    /// <summary>A trainer for <paramref name="recipe"/> with the setup's options and loss (the head alone when it trains on cached features).</summary>
    /// <param name="recipe">The recipe it will run.</param>
    /// <param name="callbacks">Its callbacks, in order.</param>
    public Trainer CreateTrainer(Recipe recipe, IEnumerable<Callback>? callbacks = null)
    {
        var trainer = new Trainer(CachesFeatures(recipe) ? Head : Model, TrainingOptions, callbacks, Loss);
        if (KeepsBackboneFixed(recipe)) trainer.ValidationModel = Head;
        return trainer;
    }

    /// <summary>
    /// Runs a linear-probe phase (<see cref="RecipePhase.LinearProbe"/>) as one epoch of <paramref name="trainer"/>:
    /// the backbone (frozen, evaluation mode) featurises the training and validation images once, the head's linear
    /// layer is fitted to convergence on those features with the run's loss (weight decay chosen on validation), and the
    /// epoch's logs (training and validation loss and accuracy, seconds) go through the trainer's callbacks.
    /// </summary>
    /// <param name="trainer">The trainer of the recipe (made by <see cref="CreateTrainer"/>).</param>
    /// <param name="phase">The probe phase.</param>
    /// <param name="cancellationToken">Stops featurising or fitting.</param>
    /// <exception cref="HoldoutException">The model's head is not a single linear layer.</exception>
    public ProbeResult FitProbe(Trainer trainer, RecipePhase phase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(phase);
        phase.Prepare(Model);
        var layer = Model.LinearHead ?? throw new HoldoutException(
            $"The linear probe fits a head that is one linear layer, but {OptionNames.Of(Options.Model)}'s head is not. Pass --no-probe to train the head over images instead.");
        ProbeResult? result = null;
        trainer.FitComputedEpoch(phase.Name, epoch =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (train, labels) = Features(DataSplit.Train).Tensors(cancellationToken);
            var validation = Features(DataSplit.Validation);
            var (validationFeatures, validationLabels) = validation.SampleCount > 0 ? validation.Tensors(cancellationToken) : (null, null);
            result = new LinearProbe().Fit(layer, train, labels, validationFeatures, validationLabels, Loss, cancellationToken);
            var logs = new EpochLogs(epoch) { ["loss"] = result.TrainLoss, ["acc"] = result.TrainAccuracy };
            if (validation.SampleCount > 0)
            {
                // Validation is scored exactly as every later epoch scores it (float32, the evaluator).
                var predictions = Evaluator.Predict(Head, validation.View(Options.BatchSize, shuffle: false), Loss, cancellationToken: cancellationToken);
                logs["val_loss"] = predictions.Loss;
                logs["val_acc"] = predictions.Accuracy;
            }
            logs["lr"] = 0;
            logs["weight_decay"] = result.WeightDecay;
            logs["seconds"] = clock.Elapsed.TotalSeconds;
            return logs;
        }, Split.Samples(DataSplit.Train).Count);
        return result!;
    }

    /// <summary>
    /// True once a run has decided that the backbone keeps its pretrained weights to the end although the recipe could
    /// have trained it (the fine-tune gate skipped the all-layers epochs): predictions then run the head on cached
    /// features, as for a recipe that keeps the backbone fixed.
    /// </summary>
    internal bool BackboneLeftPretrained { get; set; }

    /// <summary>
    /// True when the weights being evaluated are a linear probe's (the fine-tune gate kept them, or no later epoch beat
    /// them): the head was fitted on features of unaugmented centre crops at the training size, so FixRes's larger
    /// evaluation size, which makes up for random crops' magnification, does not apply and is not tried.
    /// </summary>
    internal bool KeptLinearProbe { get; set; }

    /// <summary>The fewest validation images on which <see cref="FineTuneGateReason"/> judges a probe: with fewer, one image is more than 1 %.</summary>
    public const int FineTuneGateMinValidation = 100;

    /// <summary>
    /// Why the all-layers phase that follows a linear probe is not worth its time, or null when it is (or the gate is off):
    /// the probe (<paramref name="probe"/>, its history row) classifies at least <see cref="TrainRunOptions.FineTuneGate"/>
    /// of at least <see cref="FineTuneGateMinValidation"/> validation images correctly. Fine-tuning could then win back at
    /// most the small remaining share, while each all-layers epoch costs about two to three times what the whole probe
    /// did (forward and backward through every layer, against one forward pass). The sets this was measured on are in
    /// docs/defaults-study.md.
    /// </summary>
    /// <param name="probe">The probe's epoch.</param>
    public string? FineTuneGateReason(EpochRecord probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        if (Options.FineTuneGate is not { } gate || GateValidationImages() is not { } validation || !(probe.ValAccuracy >= gate)) return null;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"the linear probe already classifies {probe.ValAccuracy:0.0000} of the {validation} validation images correctly (--fine-tune-gate {gate:0.###})") +
            ", so the all-layers epochs, each several times the probe's cost, were skipped and the probe kept (--fine-tune-gate off runs them)";
    }

    /// <summary>The probe validation accuracy from which the first all-layers epoch must beat the probe (<see cref="StrongProbeReason"/>).</summary>
    public const double StrongProbe = 0.97;

    /// <summary>
    /// Why fine-tuning should stop after its first all-layers epoch and keep the probe, or null when it should go on (or
    /// the gate is off): the probe was strong (at least <see cref="StrongProbe"/> of at least
    /// <see cref="FineTuneGateMinValidation"/> validation images right) and that epoch's validation loss did not beat the
    /// probe's. After a weak probe the first all-layers epochs are usually worse until the schedule anneals (the beans
    /// sets), and the run goes on; after a strong one a first epoch that loses ground has been a sign that fine-tuning
    /// disturbs features that already serve (docs/defaults-study.md), and stopping there keeps the run within about
    /// three times the frozen recipe's time.
    /// </summary>
    /// <param name="probe">The probe's epoch.</param>
    /// <param name="firstValidationLoss">The validation loss after the first all-layers epoch.</param>
    public string? StrongProbeReason(EpochRecord probe, double firstValidationLoss)
    {
        ArgumentNullException.ThrowIfNull(probe);
        if (GateValidationImages() is not { } validation || !(probe.ValAccuracy >= StrongProbe) || firstValidationLoss < probe.ValLoss) return null;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"the first all-layers epoch's val_loss {firstValidationLoss:0.0000} did not beat the linear probe's {probe.ValLoss:0.0000}, which already classifies {probe.ValAccuracy:0.0000} of the {validation} validation images correctly") +
            ", so fine-tuning stopped and the probe is kept (--fine-tune-gate off runs every epoch)";
    }

    /// <summary>The validation images the fine-tune gate judges on, or null when it does not apply (off, another recipe, too few images).</summary>
    private int? GateValidationImages()
    {
        if (Options.FineTuneGate is null || Options.EffectiveRecipe != RecipeKind.FineTune) return null;
        var validation = Evaluation(DataSplit.Validation).SampleCount;
        return validation >= FineTuneGateMinValidation ? validation : null;
    }

    /// <summary>A callback that applies <see cref="StrongProbeReason"/> at the end of epoch <paramref name="firstEpoch"/>, the first after <paramref name="probe"/>.</summary>
    internal Callback StrongProbeGuard(EpochRecord probe, int firstEpoch) => new ProbeGuard(this, probe, firstEpoch);

    /// <summary>Stops fine-tuning after its first all-layers epoch when <see cref="RunSetup.StrongProbeReason"/> says so.</summary>
    private sealed class ProbeGuard(RunSetup setup, EpochRecord probe, int firstEpoch) : Callback
    {
        public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
        {
            if (logs.Epoch != firstEpoch || context.StopTraining || !logs.Contains("val_loss")) return;
            if (setup.StrongProbeReason(probe, logs["val_loss"]) is { } reason) (context.StopTraining, context.StopReason) = (true, reason);
        }
    }

    /// <summary>Runs every phase of a recipe (the options' own by default) and returns the history.</summary>
    /// <param name="recipe">The recipe. Defaults to null: <see cref="Recipe"/>.</param>
    /// <param name="callbacks">Callbacks, e.g. <see cref="EarlyStopping"/>.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public History Fit(Recipe? recipe = null, IEnumerable<Callback>? callbacks = null, CancellationToken cancellationToken = default)
    {
        recipe ??= Recipe;
        using var trainer = CreateTrainer(recipe, callbacks);
        trainer.Context.PlannedEpochs = recipe.TotalEpochs;
        var (train, validation) = Sources(recipe);
        for (int index = 0; index < recipe.Phases.Count; index++)
        {
            var phase = recipe.Phases[index];
            if (trainer.Context.StopTraining) break;
            if (phase.LinearProbe)
            {
                FitProbe(trainer, phase, cancellationToken);
                if (FineTuneGateReason(trainer.History.Epochs[^1]) is { } reason)
                {
                    (trainer.Context.StopTraining, trainer.Context.StopReason) = (true, reason);
                    BackboneLeftPretrained = true;
                }
            }
            else
            {
                if (index > 0 && recipe.Phases[index - 1].LinearProbe && trainer.History.Epochs.Count > 0)
                    trainer.AddCallback(StrongProbeGuard(trainer.History.Epochs[^1], trainer.History.Epochs.Count + 1));
                trainer.Fit(train, validation, phase.Prepare(Model), cancellationToken: cancellationToken);
            }
        }
        return trainer.History;
    }

    /// <summary>
    /// A PNG grid of the first <paramref name="count"/> training images of an epoch exactly as the model sees them
    /// (order, augmentation and normalisation as in training, mapped back to colours), with their class names:
    /// fastai's <c>show_batch</c>, Karpathy's "visualise just before the net".
    /// </summary>
    /// <param name="epoch">The epoch, 1-based (augmentation differs per epoch). Defaults to 1.</param>
    /// <param name="count">How many images. Defaults to 16.</param>
    /// <param name="cancellationToken">Stops decoding.</param>
    /// <exception cref="HoldoutException">The training split is empty, or an image cannot be decoded.</exception>
    public byte[] PreviewPng(int epoch = 1, int count = 16, CancellationToken cancellationToken = default)
    {
        if (epoch < 1) throw new HoldoutException($"The preview epoch must be 1 or more, got {epoch}.");
        if (count < 1) throw new HoldoutException($"The preview needs at least one image, got {count}.");
        return RunPreview.Render(WholeTrain, Split.ClassNames, epoch - 1, count, cancellationToken);
    }

    /// <summary>Writes <see cref="PreviewPng"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="epoch">The epoch, 1-based. Defaults to 1.</param>
    /// <param name="count">How many images. Defaults to 16.</param>
    /// <param name="cancellationToken">Stops decoding.</param>
    public void WritePreview(string path, int epoch = 1, int count = 16, CancellationToken cancellationToken = default) =>
        AtomicFile.WriteAllBytes(path, PreviewPng(epoch, count, cancellationToken));

    /// <summary>
    /// The model's predictions on one split, scored with the run's loss. When the setup's recipe keeps the backbone
    /// fixed, the head runs on the split's features (computed once per run) instead of the images going through the
    /// backbone again: the same numbers, one backbone pass per image.
    /// </summary>
    /// <param name="split">The split.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public Predictions Predict(DataSplit split, CancellationToken cancellationToken = default) =>
        KeepsBackboneFixed(Recipe) || BackboneLeftPretrained
            ? Evaluator.Predict(Head, Features(split).View(Options.BatchSize, shuffle: false), Loss, cancellationToken: cancellationToken)
            : Evaluator.Predict(Model, Evaluation(split), Loss, cancellationToken: cancellationToken);

    /// <summary>
    /// Sets the side validation, test and prediction images are rendered at (<see cref="ImageClassifier.EvaluationSize"/>),
    /// dropping the evaluation loaders and cached features of the old size.
    /// </summary>
    /// <param name="size">The evaluation side in pixels.</param>
    /// <exception cref="HoldoutException">The model cannot take that size (see <see cref="ImageClassifier.EvaluationSize"/>).</exception>
    public void UseEvaluationSize(int size)
    {
        if (size == Model.EvaluationSize) return;
        Model.EvaluationSize = size;
        _evaluation.Clear();
        foreach (var cache in _features.Values) cache.Dispose();
        _features.Clear();
    }

    /// <summary>
    /// After training, chooses the side validation, test and prediction images are rendered at and sets it
    /// (<see cref="UseEvaluationSize"/>): <see cref="TrainRunOptions.EvalImageSize"/> when given; otherwise the training
    /// size and <see cref="TrainRunOptions.FixResEvalSize"/> compete on the validation loss of the current weights and the
    /// lower wins (ties keep the training size). Without validation images, with a model that takes only its input size,
    /// or when the two sizes are the same, evaluation stays at the training size.
    /// </summary>
    /// <param name="cancellationToken">Stops between batches.</param>
    public EvaluationSizeChoice ChooseEvaluationSize(CancellationToken cancellationToken = default)
    {
        var training = Options.EffectiveImageSize;
        if (Options.EvalImageSize is { } given)
        {
            UseEvaluationSize(given);
            return new EvaluationSizeChoice(given, new Dictionary<int, double>());
        }
        var candidate = Model.TakesAnyInputSize && !KeptLinearProbe ? Options.FixResEvalSize(Preprocessing.EvalResize, Preprocessing.EvalCrop) : training;
        UseEvaluationSize(training);
        if (candidate == training || Evaluation(DataSplit.Validation).SampleCount == 0) return new EvaluationSizeChoice(training, new Dictionary<int, double>());
        var atTraining = Predict(DataSplit.Validation, cancellationToken);
        UseEvaluationSize(candidate);
        var atCandidate = Predict(DataSplit.Validation, cancellationToken);
        var losses = new Dictionary<int, double> { [training] = atTraining.Loss, [candidate] = atCandidate.Loss };
        if (atCandidate.Loss < atTraining.Loss) return new EvaluationSizeChoice(candidate, losses, atCandidate);
        UseEvaluationSize(training);
        return new EvaluationSizeChoice(training, losses, atTraining);
    }

    /// <summary>Accuracy, per-class metrics, confusion and calibration of the model on one split.</summary>
    /// <param name="split">The split.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public ClassificationMetrics Evaluate(DataSplit split, CancellationToken cancellationToken = default)
    {
        var predictions = Predict(split, cancellationToken);
        return predictions.Metrics(Model.ClassNames);
    }

    /// <summary>
    /// The training and validation batches <paramref name="recipe"/> trains on: image loaders, or, while the backbone
    /// stays fixed, the cached features of validation (and of training, when it is not augmented), computed on first
    /// use inside the first epoch.
    /// </summary>
    /// <param name="recipe">The recipe to run.</param>
    public (IBatchSource Train, IBatchSource Validation) Sources(Recipe recipe)
    {
        if (!KeepsBackboneFixed(recipe)) return (Train, Validation);
        var train = CachesFeatures(recipe)
            ? Features(DataSplit.Train).View(Options.BatchSize, shuffle: true, Seeds.Derive(Options.Seed, SeedPurpose.FeatureOrder), Options.DropLast)
            : Train;
        return (train, Features(DataSplit.Validation).View(Options.BatchSize, shuffle: false));
    }

    private HeadModule Head => _head ??= new HeadModule(Model);

    private FeatureCache Features(DataSplit split)
    {
        if (!_features.TryGetValue(split, out var cache)) _features[split] = cache = new FeatureCache(Model, Evaluation(split));
        return cache;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var cache in _features.Values) cache.Dispose();
        _head?.Dispose();
        Loss.Dispose();
        if (_ownsModel) Model.Dispose();
    }
}
