using System.Diagnostics;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Distributed;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// Keras-style training loop: <see cref="Fit"/> runs epochs of training batches followed by a full validation pass,
/// builds each epoch's logs (<c>loss</c>, <c>acc</c>, <c>val_loss</c>, <c>val_acc</c>, <c>lr</c>, <c>seconds</c>)
/// and hands them to the callbacks, which may stop training. <see cref="History"/> is always attached. Call
/// <see cref="Fit"/> once per phase (fine-tuning uses two); epochs are numbered across phases.
/// </summary>
/// <remarks>
/// Every batch runs in its own TorchSharp dispose scope, so native memory stays flat however long the run. Dropout
/// and other randomness are re-seeded from (seed, epoch, step) at each step, so a run resumed at an epoch boundary
/// continues exactly as an uninterrupted one, and every rank of a data-parallel job draws the same numbers.
/// <para>
/// Data-parallel (several ranks started by mpirun, <see cref="ProcessGroup.Current"/>): when the training source is
/// sharded (<see cref="IBatchSource.Shard"/>), each rank computes its slice of every batch, the gradients are summed
/// over the ranks before every optimiser step (<see cref="DataParallel"/>), and rank 0's weights are copied to the
/// others when a phase starts, so every rank takes the same steps as one process would on the whole batch. The
/// logged loss and accuracy are those of the whole batch. Decisions to stop (callbacks, a budget) are rank 0's. BatchNorm
/// layers in training mode normalise each rank's slice with its own statistics (DDP without SyncBatchNorm); rank 0's
/// moving statistics are copied to the others before each validation pass.
/// </para>
/// </remarks>
public sealed class Trainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly List<Callback> _callbacks;
    private readonly bool _ownsLoss;
    private OptimizerHelper? _optimizer;

    /// <summary>Creates a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">The classifier: N x ... to N x C logits (N x 1 with binary cross-entropy).</param>
    /// <param name="options">Optimiser, loss and seed. Defaults to <see cref="TrainingOptions"/>'s defaults.</param>
    /// <param name="callbacks">Callbacks in the order they run; <see cref="History"/> is added first.</param>
    /// <param name="loss">The loss to train with and to report as <c>loss</c> and <c>val_loss</c>. Defaults to null:
    /// <see cref="ClassificationLoss.For"/> the options (the trainer then owns and disposes it).</param>
    public Trainer(nn.Module<Tensor, Tensor> model, TrainingOptions? options = null, IEnumerable<Callback>? callbacks = null, ClassificationLoss? loss = null)
    {
        NativeRuntime.EnsureInitialized();
        _model = model;
        Options = options ?? new TrainingOptions();
        _ownsLoss = loss is null;
        Loss = loss ?? ClassificationLoss.For(Options);
        History = new History();
        _callbacks = [History, .. callbacks ?? []];
        Context = new TrainingContext(model, Options) { History = History };
    }

    /// <summary>The options in use.</summary>
    public TrainingOptions Options { get; }

    /// <summary>
    /// The module validation batches go through, when it is not the trained one (e.g. the head alone on a frozen
    /// backbone's cached validation features while the whole model trains on augmented images). Defaults to null.
    /// </summary>
    internal nn.Module<Tensor, Tensor>? ValidationModel { get; set; }

    /// <summary>The loss trained with and reported as <c>loss</c> and <c>val_loss</c>.</summary>
    public ClassificationLoss Loss { get; }

    /// <summary>The epochs trained so far.</summary>
    public History History { get; }

    /// <summary>The state callbacks see (stop flag, epoch counters, learning-rate scale).</summary>
    public TrainingContext Context { get; }

    /// <summary>The callbacks, History first.</summary>
    public IReadOnlyList<Callback> Callbacks => _callbacks;

    /// <summary>The optimiser of the current phase (null before the first <see cref="Fit"/>).</summary>
    public OptimizerHelper? Optimizer => _optimizer;

    /// <summary>Training images processed and seconds spent in training batches (data waits included), over all phases.</summary>
    public (long Images, double Seconds) TrainThroughput { get; private set; }

    /// <summary>Training images processed and seconds spent in training batches (data waits included), per phase name, in the order phases ran.</summary>
    public IReadOnlyDictionary<string, (long Images, double Seconds)> PhaseThroughput => _phaseThroughput;

    private readonly OrderedDictionary<string, (long Images, double Seconds)> _phaseThroughput = [];

    private void CountTraining(long images, double seconds)
    {
        TrainThroughput = (TrainThroughput.Images + images, TrainThroughput.Seconds + seconds);
        var phase = Context.Phase;
        var (before, spent) = _phaseThroughput.TryGetValue(phase, out var sofar) ? sofar : (0, 0);
        _phaseThroughput[phase] = (before + images, spent + seconds);
    }

    /// <summary>
    /// Seconds the data-parallel training steps spent in collectives (summing the step's numbers and the gradients over
    /// the ranks, waiting for the slowest included), over all phases; 0 with one process.
    /// </summary>
    public double CollectiveSeconds { get; private set; }

    /// <summary>Evaluation images processed and seconds spent evaluating, over all phases.</summary>
    public (long Images, double Seconds) EvalThroughput { get; private set; }

    /// <summary>
    /// Trains one phase: <paramref name="phase"/>.Epochs epochs over <paramref name="train"/>, each followed by a
    /// validation pass over <paramref name="validation"/> (when given).
    /// </summary>
    /// <param name="train">Training batches: each sample once per epoch, in a fresh seeded order.</param>
    /// <param name="validation">Validation batches, or null to skip validation (then <c>val_*</c> logs are absent).</param>
    /// <param name="phase">Which parameters train, at which learning rates, for how many epochs.</param>
    /// <param name="cancellationToken">Stops training between batches (the epoch in progress is abandoned).</param>
    /// <returns>The history over all phases so far.</returns>
    public History Fit(IBatchSource train, IBatchSource? validation, TrainingPhase phase, CancellationToken cancellationToken = default) =>
        FitResuming(train, validation, phase, null, cancellationToken);

    /// <summary>Trains one phase, resuming inside it after <paramref name="resume"/>'s epochs (see the public overload).</summary>
    internal History FitResuming(IBatchSource train, IBatchSource? validation, TrainingPhase phase, PhaseResume? resume, CancellationToken cancellationToken)
    {
        if (phase.Epochs < 0) throw new HoldoutException($"The number of epochs must be 0 or more, got {phase.Epochs}.");
        if (train.BatchCount == 0) throw new HoldoutException($"The training split has {train.SampleCount} samples, too few for one batch. Add images or lower --batch-size.");
        int doneInPhase = resume?.EpochsDone ?? 0;
        Context.Phase = phase.Name;
        Context.PlannedEpochs = Math.Max(Context.PlannedEpochs, Context.CompletedEpochs - doneInPhase + phase.Epochs);
        SetTrainable(phase);
        _optimizer?.Dispose();
        _optimizer = CreateOptimizer(phase);
        if (resume?.OptimizerStatePath is { } statePath) _optimizer.load_state_dict(statePath);
        var group = ProcessGroup.Current;
        if (!train.Shard.IsWhole)
        {
            if (train.Shard != group.Shard)
                throw new HoldoutException($"The training source is sharded as {train.Shard}, but this process is {group.Shard}: give every rank's loader its shard of the job.");
            DataParallel.BroadcastFromRoot(group, _model);
        }

        foreach (var c in _callbacks) c.OnTrainBegin(Context);
        try
        {
            long totalSteps = (long)phase.Epochs * train.BatchCount;
            for (int epochInPhase = doneInPhase; epochInPhase < phase.Epochs && !Context.StopTraining; epochInPhase++)
            {
                int epoch = Context.CompletedEpochs + 1;
                var logs = RunEpoch(train, validation, phase, epoch, epochInPhase, totalSteps, cancellationToken);
                Context.CompletedEpochs = epoch;
                foreach (var c in _callbacks) c.OnEpochEnd(Context, logs);
                AgreeOnStop();
            }
        }
        finally
        {
            foreach (var c in _callbacks) c.OnTrainEnd(Context);
        }
        return History;
    }

    /// <summary>
    /// Runs one epoch whose work is done by <paramref name="epoch"/> instead of training batches — e.g. fitting the
    /// head to convergence on cached features (<see cref="LinearProbe"/>) — through the callbacks like any other epoch:
    /// train begin, epoch begin, the epoch's logs at epoch end (history, checkpoints, early stopping), train end.
    /// </summary>
    /// <param name="phaseName">Shown in logs.</param>
    /// <param name="epoch">Does the work for the given 1-based epoch and returns its logs (with <c>seconds</c>).</param>
    /// <param name="images">The training images the work processed, for <see cref="TrainThroughput"/>.</param>
    internal History FitComputedEpoch(string phaseName, Func<int, EpochLogs> epoch, long images)
    {
        Context.Phase = phaseName;
        Context.PlannedEpochs = Math.Max(Context.PlannedEpochs, Context.CompletedEpochs + 1);
        foreach (var c in _callbacks) c.OnTrainBegin(Context);
        try
        {
            int number = Context.CompletedEpochs + 1;
            foreach (var c in _callbacks) c.OnEpochBegin(Context, number);
            var logs = epoch(number);
            CountTraining(images, logs.Contains("seconds") ? logs["seconds"] : 0);
            Context.CompletedEpochs = number;
            foreach (var c in _callbacks) c.OnEpochEnd(Context, logs);
            AgreeOnStop();
        }
        finally
        {
            foreach (var c in _callbacks) c.OnTrainEnd(Context);
        }
        return History;
    }

    /// <summary>
    /// With several ranks, makes rank 0's decision to stop (and its reason) every rank's: a callback that decides on
    /// time (a budget) could otherwise stop one rank a batch before another, which would then wait for it for ever.
    /// </summary>
    private void AgreeOnStop()
    {
        var group = ProcessGroup.Current;
        if (group.Size == 1) return;
        Context.StopTraining = group.Broadcast(Context.StopTraining ? 1 : 0) != 0;
        if (Context.StopTraining) Context.StopReason = group.Broadcast(Context.StopReason);
    }

    /// <summary>Saves the optimiser's state (moments, step counts) for resuming; atomic.</summary>
    public void SaveOptimizerState(string path)
    {
        if (_optimizer is null) return;
        var temporary = path + ".partial";
        _optimizer.save_state_dict(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Adds a callback after the others (a run that learns what it needs only once training has started, e.g. a budget's stop).</summary>
    internal void AddCallback(Callback callback) => _callbacks.Add(callback);

    /// <summary>The callbacks' state (for a checkpoint), by callback index.</summary>
    public JsonObject SaveCallbackState()
    {
        var state = new JsonObject();
        for (int i = 0; i < _callbacks.Count; i++)
        {
            if (_callbacks[i].SaveState() is { } s) state[$"{i}:{_callbacks[i].GetType().Name}"] = s;
        }
        return state;
    }

    /// <summary>Restores the callbacks' state and epoch counter from a checkpoint.</summary>
    /// <param name="state">What <see cref="SaveCallbackState"/> returned.</param>
    /// <param name="history">The epochs already trained.</param>
    public void Restore(JsonObject state, IReadOnlyList<EpochRecord> history)
    {
        for (int i = 0; i < _callbacks.Count; i++)
        {
            if (state[$"{i}:{_callbacks[i].GetType().Name}"] is JsonObject s) _callbacks[i].LoadState(s);
        }
        History.Restore(history);
        Context.CompletedEpochs = history.Count;
    }

    private EpochLogs RunEpoch(IBatchSource train, IBatchSource? validation, TrainingPhase phase, int epoch, int epochInPhase, long totalSteps, CancellationToken cancellationToken)
    {
        foreach (var c in _callbacks) c.OnEpochBegin(Context, epoch);
        torch.manual_seed(Seeds.Derive(Options.Seed, SeedPurpose.EpochRandomness, epoch));
        var device = ModelOutputs.DeviceOf(_model);
        var clock = Stopwatch.StartNew();
        _model.train();
        double lossSum = 0, weightSum = 0;
        long correct = 0, seen = 0;
        int step = 0;
        double lr = 0;
        var group = ProcessGroup.Current;
        bool sharded = !train.Shard.IsWhole;
        var trainable = sharded ? _model.parameters().Where(p => p.requires_grad).ToList() : [];
        foreach (var batch in train.Batches(epoch - 1, cancellationToken))
        {
            using var scope = NewDisposeScope();
            using var owned = batch;
            lr = ApplySchedule(phase, (long)epochInPhase * train.BatchCount + step, totalSteps);
            // Each step's randomness (dropout) comes from (seed, epoch, step): the same on every rank of a data-parallel
            // job, whatever a rank's slice of the batch, and after a resume.
            torch.manual_seed(Seeds.Derive(Options.Seed, (long)SeedPurpose.EpochRandomness, epoch, step));
            _optimizer!.zero_grad();
            float lossValue;
            if (sharded)
            {
                (lossValue, var batchCorrect, var batchSeen, var batchWeight) = ShardedStep(batch, device, group, trainable, train.Shard);
                correct += batchCorrect;
                seen += batchSeen;
                lossSum += lossValue * batchWeight;
                weightSum += batchWeight;
            }
            else
            {
                var images = batch.Images.to(device);
                var labels = batch.Labels.to(device);
                var logits = _model.forward(images);
                var loss = Loss.Mean(logits, labels);
                loss.backward();
                _optimizer.step();
                lossValue = loss.item<float>();
                correct += ModelOutputs.Predicted(logits).eq(labels).sum().item<long>();
                var weight = Loss.BatchWeight(labels);
                lossSum += lossValue * weight;
                weightSum += weight;
                seen += batch.Count;
            }
            if (!float.IsFinite(lossValue) && Options.StopOnNonFiniteLoss)
            {
                Context.StopTraining = true;
                Context.StopReason = $"the training loss became {lossValue} at epoch {epoch}, step {step + 1}: the learning rate is too high (try a 10x lower --lr)";
            }
            step++;
            var batchLogs = new BatchLogs(epoch, step, train.BatchCount, lossSum / weightSum, correct / (double)seen, clock.Elapsed.TotalSeconds, lossValue, lr);
            foreach (var c in _callbacks) c.OnBatchEnd(Context, batchLogs);
            AgreeOnStop();
            if (Context.StopTraining) break;
        }
        CountTraining(seen, clock.Elapsed.TotalSeconds);
        var logs = new EpochLogs(epoch)
        {
            ["loss"] = seen == 0 ? double.NaN : lossSum / weightSum,
            ["acc"] = seen == 0 ? double.NaN : correct / (double)seen,
        };
        if (sharded) DataParallel.BroadcastBuffersFromRoot(group, _model);
        if (validation is not null)
        {
            var predictions = Evaluator.Predict(ValidationModel ?? _model, validation, Loss, epoch - 1, cancellationToken);
            EvalThroughput = (EvalThroughput.Images + predictions.Count, EvalThroughput.Seconds + predictions.Seconds);
            logs["val_loss"] = predictions.Loss;
            logs["val_acc"] = predictions.Accuracy;
        }
        logs["lr"] = lr;
        logs["seconds"] = clock.Elapsed.TotalSeconds;
        return logs;
    }

    /// <summary>
    /// One data-parallel step on this rank's slice of a batch: the slice's weighted loss sum over the whole batch's
    /// weight is back-propagated, the gradients are summed over the ranks and the optimiser steps.
    /// </summary>
    /// <returns>The whole batch's mean loss, correct predictions, samples and loss weight.</returns>
    private (float Loss, long Correct, long Seen, double Weight) ShardedStep(ImageBatch batch, Device device, ProcessGroup group, IReadOnlyList<Parameter> trainable, Shard shard)
    {
        Tensor? localSum = null;
        double localLoss = 0, localWeight = 0;
        long localCorrect = 0;
        if (batch.Count > 0)
        {
            var labels = batch.Labels.to(device);
            var (start, _) = shard.SliceOf(batch.GlobalCount);
            using var slice = BatchDropout.UseSlice(start, batch.GlobalCount);
            var logits = _model.forward(batch.Images.to(device));
            localSum = Loss.BatchSum(logits, labels);
            localLoss = localSum.to(ScalarType.Float64).item<double>();
            localWeight = Loss.BatchWeight(labels);
            localCorrect = ModelOutputs.Predicted(logits).eq(labels).sum().item<long>();
        }
        var before = group.CommunicationSeconds;
        var (lossSum, weight, correct, seen) = DataParallel.SumStep(group, localLoss, localWeight, localCorrect, batch.Count);
        // A rank whose slice is empty back-propagates nothing and adds zeros to the sum.
        if (localSum is not null) (localSum / weight).backward();
        DataParallel.SumGradients(group, trainable);
        CollectiveSeconds += group.CommunicationSeconds - before;
        _optimizer!.step();
        return ((float)(lossSum / weight), correct, seen, weight);
    }

    private double ApplySchedule(TrainingPhase phase, long step, long totalSteps)
    {
        double factor = LearningRateSchedule.Factor(phase.Schedule, step, totalSteps);
        var groups = _optimizer!.ParamGroups.ToList();
        for (int i = 0; i < groups.Count; i++) groups[i].LearningRate = phase.Groups[i].LearningRate * factor;
        return phase.Groups[^1].LearningRate * factor;
    }

    private void SetTrainable(TrainingPhase phase)
    {
        var trainable = new HashSet<Parameter>(phase.Groups.SelectMany(g => g.Parameters), ReferenceEqualityComparer.Instance);
        foreach (var p in _model.parameters()) p.requires_grad = trainable.Contains(p);
    }

    private OptimizerHelper CreateOptimizer(TrainingPhase phase)
    {
        if (phase.Groups.Count == 0 || phase.Groups.All(g => g.Parameters.Count == 0))
            throw new HoldoutException($"Phase '{phase.Name}' has no trainable parameters.");
        return Options.Optimizer switch
        {
            OptimizerKind.Adam => torch.optim.Adam(phase.Groups.Select(g => new Adam.ParamGroup(g.Parameters, g.LearningRate, weight_decay: Options.WeightDecay)), phase.Groups[0].LearningRate, weight_decay: Options.WeightDecay),
            OptimizerKind.AdamW => torch.optim.AdamW(phase.Groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, weight_decay: Options.WeightDecay)), phase.Groups[0].LearningRate, weight_decay: Options.WeightDecay),
            OptimizerKind.Sgd => torch.optim.SGD(phase.Groups.Select(g => new SGD.ParamGroup(g.Parameters, g.LearningRate, momentum: Options.Momentum, weight_decay: Options.WeightDecay)), phase.Groups[0].LearningRate, momentum: Options.Momentum, weight_decay: Options.WeightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(Options), Options.Optimizer, "unknown optimizer"),
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _optimizer?.Dispose();
        if (_ownsLoss) Loss.Dispose();
        foreach (var c in _callbacks.OfType<IDisposable>()) c.Dispose();
    }
}
