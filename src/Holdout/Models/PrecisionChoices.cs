using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>
/// What <see cref="Precision.Auto"/> becomes, decided by measurement: the model's own forward (and, for training,
/// backward) pass is timed at the actual batch and image size in float32 and in bfloat16, and bfloat16 is kept only
/// when it is at least <see cref="RequiredGain"/> faster. A CPUID flag does not predict the winner: on one
/// AVX512_BF16 host bfloat16 runs ResNet-18 faster than float32, on another (an Intel Xeon without AMX) slower (see
/// docs/benchmarks.md). A CUDA device takes bfloat16 by rule (its tensor cores compute it natively; nothing is timed); an x86
/// processor without bfloat16 arithmetic (no AVX512_BF16, no AMX) takes float32 without timing, since bfloat16 is
/// only emulated there.
/// </summary>
/// <remarks>
/// Timing costs a few seconds (at most about <see cref="TimeBudget"/>), once per processor, engine, thread count,
/// architecture, image size, batch size and workload: the decision is kept in memory for the process, and on disk in
/// the folder of an open <see cref="Use"/> scope (the command-line tool opens one in <see cref="DefaultFolder"/>; a
/// library call writes nothing to disk by itself). Timing does not change the model: its weights, gradients, mode and
/// precision are restored, and its input is a fixed pattern, so no random number is drawn.
/// </remarks>
public static class PrecisionChoices
{
    /// <summary>bfloat16 is kept only when its step takes at most this share of float32's (at least ~10 % faster).</summary>
    public const double RequiredGain = 0.9;

    /// <summary>About how long timing may take; at least one warm-up and one timed step of each precision run.</summary>
    public static readonly TimeSpan TimeBudget = TimeSpan.FromSeconds(8);

    private const string FileName = "precision.json";
    private const int FormatVersion = 1;
    private static readonly AmbientSetting<string?> Scoped = new();
    private static readonly ConcurrentDictionary<string, Timings> Measured = new();
    private static readonly Lock FileLock = new();

    private static readonly JsonSerializerOptions Json = StrictJson.Create(indented: true, naming: JsonNamingPolicy.SnakeCaseLower, converters: new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));

    /// <summary>The per-user folder the command-line tool keeps decisions in: Holdout's cache folder
    /// (<c>$HOLDOUT_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/holdout</c>, else <c>~/.cache/holdout</c>).</summary>
    public static string DefaultFolder => NativeRuntime.CacheDirectory();

    /// <summary>The folder decisions are kept in here, or null when no scope is open (memory only).</summary>
    public static string? Folder => Scoped.Value;

    /// <summary>Keeps decisions in <c>precision.json</c> in <paramref name="folder"/> for the code that runs until the scope is disposed.</summary>
    /// <param name="folder">The cache folder; created when first written.</param>
    /// <returns>Restores the previous setting when disposed.</returns>
    public static IDisposable Use(string folder) => Scoped.Use(Path.GetFullPath(folder));

    /// <summary>
    /// The decision rule: bfloat16 when its step takes at most <see cref="RequiredGain"/> of float32's, else float32.
    /// </summary>
    /// <param name="fp32Seconds">Seconds of a float32 step.</param>
    /// <param name="bf16Seconds">Seconds of a bfloat16 step.</param>
    public static Precision Decide(double fp32Seconds, double bf16Seconds) =>
        bf16Seconds > 0 && fp32Seconds > 0 && bf16Seconds <= RequiredGain * fp32Seconds ? Precision.Bf16 : Precision.Fp32;

    /// <summary>
    /// The precision <paramref name="model"/> should compute in for <paramref name="workload"/> at the given batch and
    /// image size: <paramref name="requested"/> when it is not <see cref="Precision.Auto"/>, else the measured choice
    /// (see the class remarks). The model's precision is not changed; set it from the result.
    /// </summary>
    /// <param name="model">The model that will do the work (its device and architecture count).</param>
    /// <param name="requested">What the user asked for.</param>
    /// <param name="workload">Training all layers, or inference only.</param>
    /// <param name="batchSize">The batch size of the work.</param>
    /// <param name="imageSize">The image side of the work, in pixels.</param>
    public static PrecisionChoice Choose(ImageClassifier model, Precision requested, PrecisionWorkload workload, int batchSize, int imageSize) =>
        Choose(model, requested, workload, batchSize, imageSize, null);

    /// <summary>
    /// As <see cref="Choose(ImageClassifier, Precision, PrecisionWorkload, int, int)"/>, with the timing replaced (tests):
    /// an injected timing stands for a processor with bfloat16 arithmetic, so the CPUID precondition is not applied.
    /// </summary>
    internal static PrecisionChoice Choose(ImageClassifier model, Precision requested, PrecisionWorkload workload, int batchSize, int imageSize,
        Func<ImageClassifier, PrecisionWorkload, int, int, Timings>? measure)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (requested != Precision.Auto) return new PrecisionChoice(requested, requested, "as requested");
        if (batchSize < 1 || imageSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "The batch and image size must be positive.");
        var device = ModelOutputs.DeviceOf(model);
        if (device.type == DeviceType.CUDA)
            return new PrecisionChoice(Precision.Bf16, requested, "a CUDA device computes bfloat16 natively");
        if (device.type != DeviceType.CPU)
            return new PrecisionChoice(Precision.Fp32, requested, $"bfloat16 is not timed on {device.type} devices");
        if (measure is null && System.Runtime.Intrinsics.X86.X86Base.IsSupported && !PrecisionSupport.CpuHasNativeBf16)
            return new PrecisionChoice(Precision.Fp32, requested, "this processor has no bfloat16 arithmetic (no AVX512_BF16 or AMX)");

        if (workload == PrecisionWorkload.Training && model.Layout is { Bottleneck: true })
            return new PrecisionChoice(Precision.Bf16, requested,
                "bottleneck ResNets are not timed for training: their float32 backward pass dies with SIGFPE in libtorch 2.10 (seen on the AMD family-26 host at 32-64 px), so they train in bfloat16");
        var key = new CacheKey(EngineInfo.DescribeProcessor(), torch.__version__, typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            torch.get_num_threads(), ArchitectureName(model), OptionNames.Of(workload), batchSize, imageSize);
        // The disk cache, where one is open, is authoritative (another process may have measured this shape first:
        // every process then computes in the same precision); else what this process measured.
        bool fromCache = true;
        var timings = Read(key) is { } stored ? Measured[key.Text] = stored : Measured.GetValueOrDefault(key.Text);
        if (timings.Fp32 <= 0 || timings.Bf16 <= 0)
        {
            fromCache = false;
            timings = (measure ?? Measure)(model, workload, batchSize, imageSize);
            Measured[key.Text] = timings;
            Write(key, timings);
        }
        var precision = Decide(timings.Fp32, timings.Bf16);
        var reason = (fromCache ? "measured earlier on this machine: " : "measured: ") +
            PrecisionChoice.Describe(workload, batchSize, imageSize, timings.Fp32, timings.Bf16) +
            (precision == Precision.Bf16 ? "" : string.Create(CultureInfo.InvariantCulture, $" (bf16 is kept only when at least {1 - RequiredGain:0%} faster)"));
        return new PrecisionChoice(precision, requested, reason, workload, batchSize, imageSize, timings.Fp32, timings.Bf16, fromCache);
    }

    /// <summary>The decisions kept in <paramref name="folder"/> (default: <see cref="Folder"/>, else <see cref="DefaultFolder"/>), newest first.</summary>
    /// <param name="folder">The cache folder.</param>
    public static IReadOnlyList<CachedPrecisionChoice> Cached(string? folder = null)
    {
        var entries = ReadFile(Path.Combine(folder ?? Folder ?? DefaultFolder, FileName));
        return [.. entries.OrderByDescending(e => e.MeasuredAt).Select(e => new CachedPrecisionChoice(
            e.Processor, e.Libtorch, e.Threads, e.Architecture, e.Workload, e.BatchSize, e.ImageSize,
            OptionNames.Of(Decide(e.Fp32Seconds, e.Bf16Seconds)), e.Fp32Seconds, e.Bf16Seconds, e.MeasuredAt))];
    }

    /// <summary>Forgets the decisions kept in memory, as a new process would (tests).</summary>
    internal static void ForgetMeasured() => Measured.Clear();

    /// <summary>Seconds of one step in each precision.</summary>
    internal readonly record struct Timings(double Fp32, double Bf16);

    /// <summary>
    /// Times <paramref name="model"/>: each round runs float32 then bfloat16, each a warm-up step (oneDNN builds its
    /// kernels, autograd its graph) and a timed one. One round settles a clear case; a close one gets more rounds, so a
    /// machine that slows down mid-way slows both, until the next would pass <see cref="TimeBudget"/> (at most three).
    /// Each precision's fastest timed step counts.
    /// </summary>
    private static Timings Measure(ImageClassifier model, PrecisionWorkload workload, int batchSize, int imageSize) =>
        Timing(model, workload, batchSize, imageSize, input =>
        {
            double fp32 = double.PositiveInfinity, bf16 = double.PositiveInfinity;
            var clock = Stopwatch.StartNew();
            for (int round = 0; round < 3; round++)
            {
                var started = clock.Elapsed;
                foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
                {
                    model.Precision = precision;
                    var seconds = WarmAndTime(model, input, workload);
                    if (precision == Precision.Fp32) fp32 = Math.Min(fp32, seconds);
                    else bf16 = Math.Min(bf16, seconds);
                }
                // A clear winner (0.15 either side of the threshold) needs no second round; a close call gets more
                // rounds while the budget lasts.
                var ratio = bf16 / fp32;
                if (ratio < RequiredGain - 0.15 || ratio > RequiredGain + 0.15) break;
                if (clock.Elapsed + (clock.Elapsed - started) > TimeBudget) break;
            }
            return new Timings(fp32, bf16);
        });

    /// <summary>
    /// Seconds of one step of <paramref name="workload"/> at the model's own precision (a warm-up step, then a timed
    /// one), with the model left as it was: what a wall-time budget plans with.
    /// </summary>
    internal static double TimeStep(ImageClassifier model, PrecisionWorkload workload, int batchSize, int imageSize) =>
        Timing(model, workload, batchSize, imageSize, input => WarmAndTime(model, input, workload));

    /// <summary>
    /// A warm-up step (oneDNN builds its kernels and prepares the weights, autograd its graph), then a timed one. Evaluation
    /// builds its BatchNorm-folded snapshot once per pass and runs every batch through it, so inference is timed on one snapshot.
    /// </summary>
    private static double WarmAndTime(ImageClassifier model, Tensor input, PrecisionWorkload workload)
    {
        using var folded = workload == PrecisionWorkload.Inference ? model.FoldedInference() : null;
        Step(model, input, workload);
        return Step(model, input, workload);
    }

    /// <summary>Runs <paramref name="time"/> on a fixed input with the model in the workload's mode, and restores its mode, precision, gradients, frozen flags and BatchNorm statistics after.</summary>
    private static T Timing<T>(ImageClassifier model, PrecisionWorkload workload, int batchSize, int imageSize, Func<Tensor, T> time)
    {
        var device = ModelOutputs.DeviceOf(model);
        var wasPrecision = model.Precision;
        var wasTraining = model.training;
        var parameters = model.parameters().ToList();
        var wasRequired = parameters.Select(p => p.requires_grad).ToList();
        var hadGradient = parameters.Select(p => p.grad is not null).ToList();
        // A training step runs in training mode, with the model's own BatchNorm policy, as training will (bfloat16
        // backward through evaluation-mode BatchNorm of ResNet-50 at small sizes dies with SIGFPE in libtorch 2.10, while
        // the same step in training mode runs); the statistics it updates are put back afterwards.
        var buffers = workload == PrecisionWorkload.Training ? model.named_buffers().Select(b => (b.buffer, Saved: b.buffer.detach().clone())).ToList() : [];
        // Dropout draws random numbers in training mode: the generator's state is put back too, so the run's seeded
        // stream is the same whether or not (and however often) anything was timed.
        using var random = torch.get_rng_state();
        try
        {
            model.train(workload == PrecisionWorkload.Training);
            if (workload == PrecisionWorkload.Training) foreach (var p in parameters) p.requires_grad = true;
            using var input = Pattern(batchSize, imageSize, device);
            return time(input);
        }
        finally
        {
            torch.set_rng_state(random);
            using (no_grad())
            {
                foreach (var (buffer, saved) in buffers)
                {
                    buffer.copy_(saved);
                    saved.Dispose();
                }
            }
            model.Precision = wasPrecision;
            model.train(wasTraining);
            for (int i = 0; i < parameters.Count; i++)
            {
                if (!hadGradient[i]) parameters[i].grad = null;
                parameters[i].requires_grad = wasRequired[i];
            }
        }
    }

    private static double Step(ImageClassifier model, Tensor input, PrecisionWorkload workload)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        if (workload == PrecisionWorkload.Training)
        {
            using var grad = enable_grad();
            model.forward(input).square().mean().backward();
            foreach (var p in model.parameters()) p.grad = null;
        }
        else
        {
            using var noGrad = no_grad();
            using var output = model.forward(input);
            _ = output.data<float>()[0];
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>A fixed input in the range of normalised images (no random number drawn: the run's seeds stay untouched).</summary>
    private static Tensor Pattern(int batchSize, int imageSize, Device device)
    {
        using var scope = NewDisposeScope();
        var count = (long)batchSize * 3 * imageSize * imageSize;
        var pattern = arange(count, dtype: ScalarType.Float32, device: device).mul(0.618034f).frac().mul(4f).sub(2f);
        return pattern.reshape(batchSize, 3, imageSize, imageSize).MoveToOuterDisposeScope();
    }

    private static string ArchitectureName(ImageClassifier model) =>
        $"{model.Spec.Architecture}{(model.TakesAnyInputSize ? "" : " (flattening head)")}, {model.ClassNames.Count} classes";

    private sealed record CacheKey(string Processor, string Libtorch, string TorchSharp, int Threads, string Architecture, string Workload, int BatchSize, int ImageSize)
    {
        public string Text => string.Join('|', Processor, Libtorch, TorchSharp, Threads.ToString(CultureInfo.InvariantCulture), Architecture, Workload,
            BatchSize.ToString(CultureInfo.InvariantCulture), ImageSize.ToString(CultureInfo.InvariantCulture));
    }

    private sealed record Entry(string Processor, string Libtorch, string Torchsharp, int Threads, string Architecture, string Workload, int BatchSize, int ImageSize,
        double Fp32Seconds, double Bf16Seconds, DateTimeOffset MeasuredAt)
    {
        [JsonIgnore]
        public string Key => new CacheKey(Processor, Libtorch, Torchsharp, Threads, Architecture, Workload, BatchSize, ImageSize).Text;
    }

    private sealed record CacheFile(int Format, List<Entry> Entries);

    private static Timings? Read(CacheKey key)
    {
        if (Folder is not { } folder) return null;
        var entry = ReadFile(Path.Combine(folder, FileName)).LastOrDefault(e => e.Key == key.Text);
        return entry is null ? null : new Timings(entry.Fp32Seconds, entry.Bf16Seconds);
    }

    /// <summary>The entries of a cache file; none when it is missing, unreadable or of another format (it is then replaced on the next write).</summary>
    private static List<Entry> ReadFile(string path)
    {
        try
        {
            if (!File.Exists(path)) return [];
            var file = JsonSerializer.Deserialize<CacheFile>(File.ReadAllText(path), Json);
            return file is { Format: FormatVersion, Entries: { } entries } ? entries.Where(e => e is { Processor: not null, Architecture: not null, Workload: not null }).ToList() : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return [];
        }
    }

    private static void Write(CacheKey key, Timings timings)
    {
        if (Folder is not { } folder) return;
        var path = Path.Combine(folder, FileName);
        lock (FileLock)
        {
            try
            {
                var entries = ReadFile(path);
                entries.RemoveAll(e => e.Key == key.Text);
                entries.Add(new Entry(key.Processor, key.Libtorch, key.TorchSharp, key.Threads, key.Architecture, key.Workload, key.BatchSize, key.ImageSize,
                    timings.Fp32, timings.Bf16, DateTimeOffset.Now));
                // Keep the 200 newest: the file stays small however many shapes are tried.
                var kept = entries.OrderByDescending(e => e.MeasuredAt).Take(200).OrderBy(e => e.MeasuredAt).ToList();
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new CacheFile(FormatVersion, kept), Json));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A cache that cannot be written costs a re-measurement next time, nothing else.
            }
        }
    }
}

/// <summary>One decision kept in the precision cache (<see cref="PrecisionChoices.Cached"/>), as <c>holdout env</c> lists it.</summary>
/// <param name="Processor">The processor it was measured on.</param>
/// <param name="Libtorch">The libtorch version.</param>
/// <param name="Threads">The engine's thread count.</param>
/// <param name="Architecture">The model's architecture (and class count).</param>
/// <param name="Workload">training or inference.</param>
/// <param name="BatchSize">The batch size timed.</param>
/// <param name="ImageSize">The image side timed.</param>
/// <param name="Precision">The decision: fp32 or bf16.</param>
/// <param name="Fp32Seconds">Seconds of a float32 step.</param>
/// <param name="Bf16Seconds">Seconds of a bfloat16 step.</param>
/// <param name="MeasuredAt">When it was measured.</param>
public sealed record CachedPrecisionChoice(string Processor, string Libtorch, int Threads, string Architecture, string Workload, int BatchSize, int ImageSize,
    string Precision, double Fp32Seconds, double Bf16Seconds, DateTimeOffset MeasuredAt);
