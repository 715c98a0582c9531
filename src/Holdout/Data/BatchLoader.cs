using Holdout.Native;
using Holdout.Imaging;
using TorchSharp;

namespace Holdout.Data;

/// <summary>
/// Loads one split as batches of model input (see <see cref="IBatchSource"/>).
/// <list type="bullet">
/// <item>Training (<see cref="ForTraining"/>): every sample exactly once per epoch, in a fresh order shuffled from
/// (seed, epoch) without replacement; augmentation drawn per (seed, epoch, sample index); the last partial batch
/// kept unless <see cref="BatchLoaderOptions.DropLast"/>.</item>
/// <item>Evaluation (<see cref="ForEvaluation"/>): the samples in their given order, each exactly once, the last
/// partial batch included, never augmented; the same for every epoch, call and thread.</item>
/// </list>
/// Decoding, augmentation and normalisation run on <see cref="BatchLoaderOptions.Workers"/> threads that fill a
/// bounded ring of <see cref="BatchLoaderOptions.PrefetchBatches"/> pre-allocated float buffers, so the next batches
/// are ready while the model computes; each sample's result depends only on (seed, epoch, sample), so batches are
/// bit-identical whatever the worker count or timing. Normalisation comes only from the <see cref="Preprocessing"/>.
/// </summary>
public sealed class BatchLoader : IBatchSource
{
    private readonly IReadOnlyList<ImageSample> _samples;
    private readonly Preprocessing _preprocessing;
    private readonly BatchLoaderOptions _options;
    private readonly AugmentationOptions _augmentation;

    private BatchLoader(IReadOnlyList<ImageSample> samples, Preprocessing preprocessing, BatchLoaderOptions options, bool training)
    {
        NativeRuntime.EnsureInitialized(); // its batches are tensors; the engine loads on first use
        if (options.BatchSize < 1)
        {
            throw new HoldoutException($"Batch size {options.BatchSize} is not valid. Expected a positive number, e.g. 32.");
        }
        if (options.PrefetchBatches < 1)
        {
            throw new HoldoutException($"Prefetch {options.PrefetchBatches} is not valid. Expected at least 1 batch.");
        }
        _samples = samples;
        _preprocessing = preprocessing;
        _options = options;
        IsTraining = training;
        _augmentation = training ? options.Augmentation ?? AugmentationOptions.None : AugmentationOptions.None;
    }

    /// <summary>A training loader: fresh seeded order per epoch, augmentation, optional drop of the last partial batch.</summary>
    /// <param name="samples">The split's samples.</param>
    /// <param name="preprocessing">The model's preprocessing (size, colour order, scale, mean, std).</param>
    /// <param name="options">Batch size, workers, prefetch, drop-last, augmentation and seed; defaults to <see cref="BatchLoaderOptions"/>'s defaults.</param>
    public static BatchLoader ForTraining(IReadOnlyList<ImageSample> samples, Preprocessing preprocessing, BatchLoaderOptions? options = null) =>
        new(samples, preprocessing, options ?? new BatchLoaderOptions(), training: true);

    /// <summary>
    /// An evaluation loader: fixed order, every sample once, partial batch included, no augmentation, rendered at the
    /// preprocessing's <see cref="Preprocessing.EvaluationSize"/>.
    /// </summary>
    /// <param name="samples">The split's samples.</param>
    /// <param name="preprocessing">The model's preprocessing.</param>
    /// <param name="options">Batch size, workers and prefetch (augmentation, seed and drop-last are ignored); defaults to <see cref="BatchLoaderOptions"/>'s defaults.</param>
    public static BatchLoader ForEvaluation(IReadOnlyList<ImageSample> samples, Preprocessing preprocessing, BatchLoaderOptions? options = null) =>
        new(samples, (preprocessing ?? throw new ArgumentNullException(nameof(preprocessing))).ForEvaluation(), options ?? new BatchLoaderOptions(), training: false);

    /// <summary>True for a training loader.</summary>
    public bool IsTraining { get; }

    /// <summary>The samples, in split order; batch indices refer to this list.</summary>
    public IReadOnlyList<ImageSample> Samples => _samples;

    /// <summary>The preprocessing every batch is normalised with.</summary>
    public Preprocessing Preprocessing => _preprocessing;

    /// <inheritdoc/>
    public int SampleCount => _samples.Count;

    /// <inheritdoc/>
    public Distributed.Shard Shard => _options.Shard ?? Distributed.Shard.Whole;

    /// <inheritdoc/>
    public int BatchCount => IsTraining && _options.DropLast
        ? _samples.Count / _options.BatchSize
        : (_samples.Count + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>The sample indices of epoch <paramref name="epoch"/> in the order they are batched.</summary>
    /// <param name="epoch">The epoch (0-based).</param>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, _samples.Count).ToArray();
        if (IsTraining)
        {
            new SeededRandom(SeededRandom.Mix(_options.Seed, epoch, SeedPurpose.LoaderOrder)).Shuffle(order);
        }
        var used = BatchCount * _options.BatchSize;
        return used < order.Length ? order[..used] : order;
    }

    /// <inheritdoc/>
    public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
    {
        var size = _preprocessing.InputSize;
        foreach (var batch in RawBatches(epoch, cancellationToken))
        {
            var images = torch.tensor(batch.Images, [batch.Count, 3, size, size]);
            var labels = torch.tensor(batch.Labels, [batch.Count]);
            yield return new ImageBatch(images, labels, batch.Indices) { GlobalCount = batch.GlobalCount };
        }
    }

    /// <summary>
    /// The batches of an epoch as plain arrays (no engine involved). The arrays are reused once the next batch is
    /// requested: copy what you keep.
    /// </summary>
    internal IEnumerable<RawBatch> RawBatches(int epoch, CancellationToken cancellationToken = default)
    {
        var order = Order(epoch);
        if (order.Length == 0)
        {
            yield break;
        }
        using var run = new EpochRun(this, epoch, order, Shard, cancellationToken);
        for (var b = 0; b < run.BatchTotal; b++)
        {
            yield return run.WaitFor(b);
            run.Release(b);
        }
    }

    /// <summary>One batch as arrays: images (count x 3 x size x size), labels and sample indices.</summary>
    internal sealed record RawBatch(float[] Images, long[] Labels, int[] Indices, int GlobalCount)
    {
        public int Count => Indices.Length;
    }

    /// <summary>The workers and the ring of batch buffers for one epoch.</summary>
    private sealed class EpochRun : IDisposable
    {
        private readonly BatchLoader _loader;
        private readonly int _epoch;
        private readonly int[] _order;
        private readonly int[] _starts;
        private readonly int[] _globalCounts;
        private readonly int[] _batchOf;
        private readonly int _prefetch;
        private readonly object _gate = new();
        private readonly Slot[] _ring;
        private readonly Thread[] _threads;
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenRegistration _registration;
        private int _nextSample;
        private int _releasedBatches;
        private bool _stopped;
        private Exception? _failure;

        public EpochRun(BatchLoader loader, int epoch, int[] order, Distributed.Shard shard, CancellationToken cancellationToken)
        {
            _loader = loader;
            _epoch = epoch;
            var batchSize = loader._options.BatchSize;
            BatchTotal = (order.Length + batchSize - 1) / batchSize;
            // This process's samples of each batch, in order: batch b holds _order[_starts[b] .. _starts[b + 1]).
            _starts = new int[BatchTotal + 1];
            _globalCounts = new int[BatchTotal];
            var local = new List<int>(order.Length);
            for (var b = 0; b < BatchTotal; b++)
            {
                _starts[b] = local.Count;
                var first = b * batchSize;
                _globalCounts[b] = Math.Min(batchSize, order.Length - first);
                var (start, sliceLength) = shard.SliceOf(_globalCounts[b]);
                local.AddRange(order.AsSpan(first + start, sliceLength));
            }
            _starts[BatchTotal] = local.Count;
            _order = [.. local];
            _batchOf = new int[_order.Length];
            for (var b = 0; b < BatchTotal; b++) _batchOf.AsSpan(_starts[b], _starts[b + 1] - _starts[b]).Fill(b);
            _prefetch = Math.Min(loader._options.PrefetchBatches, BatchTotal);
            _ring = new Slot[_prefetch];
            var length = 3 * loader._preprocessing.InputSize * loader._preprocessing.InputSize;
            for (var s = 0; s < _prefetch; s++)
            {
                _ring[s] = new Slot(length);
                _ring[s].Reset(s, _starts, _globalCounts[s], _order, loader._samples);
            }
            _cancellationToken = cancellationToken;
            _registration = cancellationToken.Register(Stop);
            var workers = Math.Max(1, Math.Min(loader._options.EffectiveWorkers, _order.Length));
            _threads = new Thread[workers];
            for (var w = 0; w < workers; w++)
            {
                _threads[w] = new Thread(Work) { IsBackground = true, Name = $"holdout-loader-{w}" };
                _threads[w].Start();
            }
        }

        public int BatchTotal { get; }

        public RawBatch WaitFor(int batch)
        {
            var slot = _ring[batch % _prefetch];
            lock (_gate)
            {
                while (!(slot.Batch == batch && slot.Remaining == 0) && _failure is null && !_stopped)
                {
                    Monitor.Wait(_gate);
                }
                if (_failure is not null)
                {
                    throw _failure is HoldoutException holdout ? new HoldoutException(holdout.Message, holdout) : new HoldoutException(
                        $"Loading a batch failed: {_failure.Message}", _failure);
                }
            }
            _cancellationToken.ThrowIfCancellationRequested();
            return slot.Batch == batch ? slot.Result! : throw new OperationCanceledException();
        }

        public void Release(int batch)
        {
            lock (_gate)
            {
                var next = batch + _prefetch;
                if (next < BatchTotal)
                {
                    _ring[batch % _prefetch].Reset(next, _starts, _globalCounts[next], _order, _loader._samples);
                }
                _releasedBatches = batch + 1;
                Monitor.PulseAll(_gate);
            }
        }

        private void Work()
        {
            try
            {
                using var renderer = new SampleRenderer(_loader._preprocessing, _loader._options.MaxPixels);
                var length = renderer.Length;
                var augmentation = _loader._augmentation;
                var evalResize = _loader._preprocessing.EvalResize;
                var evalCrop = _loader._preprocessing.EvalCrop;
                var seed = _loader._options.Seed;
                while (true)
                {
                    int position;
                    lock (_gate)
                    {
                        // Take the next sample only when its batch fits in the ring (batches before it released).
                        while (!_stopped && _nextSample < _order.Length && _batchOf[_nextSample] >= _releasedBatches + _prefetch)
                        {
                            Monitor.Wait(_gate);
                        }
                        if (_stopped || _nextSample >= _order.Length)
                        {
                            return;
                        }
                        position = _nextSample++;
                    }
                    var batch = _batchOf[position];
                    var slot = _ring[batch % _prefetch];
                    var within = position - _starts[batch];
                    var sampleIndex = _order[position];
                    var sample = _loader._samples[sampleIndex];
                    Func<int, int, AugmentationParameters>? draw = augmentation.IsEnabled
                        ? (w, h) => Augmentation.Draw(augmentation, seed, _epoch, sampleIndex, w, h, evalResize, evalCrop)
                        : null;
                    renderer.Render(sample.Path, draw, slot.Images.AsSpan(within * length, length));
                    lock (_gate)
                    {
                        if (--slot.Remaining == 0)
                        {
                            Monitor.PulseAll(_gate);
                        }
                    }
                }
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _failure ??= e;
                    _stopped = true;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private void Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                Monitor.PulseAll(_gate);
            }
        }

        public void Dispose()
        {
            Stop();
            foreach (var thread in _threads)
            {
                thread.Join();
            }
            _registration.Dispose();
        }

        private sealed class Slot(int length)
        {
            public int Batch = -1;
            public int Remaining;
            public float[] Images = [];
            public RawBatch? Result;

            public void Reset(int batch, int[] starts, int globalCount, int[] order, IReadOnlyList<ImageSample> samples)
            {
                var count = starts[batch + 1] - starts[batch];
                if (Images.Length != count * length)
                {
                    Images = new float[count * length];
                }
                var indices = order.AsSpan(starts[batch], count).ToArray();
                var labels = new long[count];
                for (var i = 0; i < count; i++)
                {
                    labels[i] = samples[indices[i]].Label;
                }
                Batch = batch;
                Remaining = count;
                Result = new RawBatch(Images, labels, indices, globalCount);
            }
        }
    }
}
