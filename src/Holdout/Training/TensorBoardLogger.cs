using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Holdout.Training;

/// <summary>
/// Writes training curves for TensorBoard, like Keras's <c>TensorBoard</c> callback: one event file
/// <c>events.out.tfevents.&lt;unix time&gt;.&lt;host&gt;.holdout</c> in the given folder, with every epoch's logs
/// (<c>epoch/loss</c>, <c>epoch/acc</c>, <c>epoch/val_loss</c>, <c>epoch/val_acc</c>, <c>epoch/lr</c>,
/// <c>epoch/seconds</c> and any metric a callback adds; step = the 1-based epoch) and every training batch's own loss
/// and learning rate (<c>batch/loss</c>, <c>batch/lr</c>; step = (epoch - 1) x steps per epoch + step, so a resumed
/// run continues the same axis). <see cref="WriteText"/> and <see cref="WriteImage"/> add the run's configuration and
/// pictures.
/// </summary>
/// <remarks>
/// The file is TensorFlow's format, written by hand: TFRecord framing with masked CRC-32C checksums around
/// <c>Event</c> protobufs (a first event with <c>file_version</c> "brain.Event:2", then summaries). Events are
/// buffered and appended to the file at the end of every epoch, when training ends (also when it is stopped or
/// cancelled) and by every <see cref="WriteText"/>, <see cref="WriteImage"/> and <see cref="Flush"/>, so a killed run
/// keeps its curves up to its last completed epoch. Thread-safe. View with <c>tensorboard --logdir FOLDER</c>.
/// <para>
/// Resuming: the logger's checkpoint state (<see cref="SaveState"/>) records how long every event file of its folder was
/// when the checkpoint was taken; a resumed run's logger writes a new file (TensorBoard merges the files of a folder)
/// and <see cref="LoadState"/> cuts the earlier files back to those lengths and removes Holdout event files started
/// after the checkpoint, so the events of epochs trained again after a kill or Ctrl-C are not there twice. Put the
/// logger before the checkpoint callback, so that the epoch being saved is already in the file.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var tensorBoard = new TensorBoardLogger("runs/my-run/tensorboard");
/// tensorBoard.WriteText("config", File.ReadAllText("runs/my-run/config.json"));
/// using var trainer = new Trainer(model, callbacks: [tensorBoard]);
/// </code>
/// </example>
public sealed class TensorBoardLogger : Callback
{
    private const string FileVersion = "brain.Event:2";

    // tensorflow.DataType DT_STRING and SummaryMetadata.DataClass DATA_CLASS_TENSOR.
    private const int DtString = 7, DataClassTensor = 2;

    /// <summary>The names of the event files this logger writes: <c>events.out.tfevents.&lt;unix time&gt;.&lt;host&gt;.holdout</c>.</summary>
    internal const string FilePattern = "events.out.tfevents.*.holdout";

    private readonly object _gate = new();
    private readonly MemoryStream _pending = new();

    // The event files of earlier sessions of the same run that a restored checkpoint kept, with their lengths then.
    private readonly Dictionary<string, long> _earlierFiles = new(StringComparer.Ordinal);
    private long _written;

    /// <summary>Creates the event file in <paramref name="folder"/> (created if needed) and writes its first event.</summary>
    /// <param name="folder">The log folder, e.g. <c>runs/my-run/tensorboard</c>; TensorBoard reads every event file in it.</param>
    /// <exception cref="HoldoutException">The folder cannot be created or written.</exception>
    public TensorBoardLogger(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        try
        {
            Directory.CreateDirectory(folder);
            // One file per logger: a second logger started in the same second takes the next second's name.
            var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            string path;
            while (File.Exists(path = Path.Combine(folder, $"events.out.tfevents.{seconds}.{Environment.MachineName}.holdout"))) seconds++;
            FilePath = path;
            using (new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HoldoutException($"Cannot create a TensorBoard event file in '{folder}': {e.Message}. Expected a writable folder; choose another one.", e);
        }
        Append(Event(0).String(3, FileVersion));
        Flush();
    }

    /// <summary>The event file being written.</summary>
    public string FilePath { get; }

    /// <summary>Whether a restored checkpoint kept event files of earlier sessions (then this file continues them).</summary>
    internal bool ContinuesEarlierFiles => _earlierFiles.Count > 0;

    /// <summary>Records the batch's own loss and learning rate (when the logs carry them) at its global step.</summary>
    /// <param name="context">The trainer's state.</param>
    /// <param name="logs">The batch's logs.</param>
    public override void OnBatchEnd(TrainingContext context, BatchLogs logs)
    {
        long step = (long)(logs.Epoch - 1) * logs.Steps + logs.Step;
        if (logs.BatchLoss is { } loss) WriteScalar("batch/loss", loss, step);
        if (logs.LearningRate is { } lr) WriteScalar("batch/lr", lr, step);
    }

    /// <summary>Records every metric of the epoch's logs as <c>epoch/NAME</c> at step = epoch, then writes the events to the file.</summary>
    /// <param name="context">The trainer's state.</param>
    /// <param name="logs">The epoch's logs.</param>
    public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
    {
        foreach (var (name, value) in logs.Values) WriteScalar("epoch/" + name, value, logs.Epoch);
        Flush();
    }

    /// <summary>Writes what is still buffered (the batches of an epoch cut short by a stop or cancellation).</summary>
    /// <param name="context">The trainer's state.</param>
    public override void OnTrainEnd(TrainingContext context) => Flush();

    /// <summary>
    /// The event files of the folder as far as they are written now: this logger's file and the earlier sessions' files a
    /// restored checkpoint kept, each with its length in bytes (<c>{"files": {"events.out.tfevents...": 1234}}</c>).
    /// </summary>
    public override JsonObject? SaveState()
    {
        lock (_gate)
        {
            var files = new JsonObject();
            foreach (var (name, length) in _earlierFiles) files[name] = length;
            files[Path.GetFileName(FilePath)] = _written;
            return new JsonObject { ["files"] = files };
        }
    }

    /// <summary>
    /// Continues from a checkpoint: the event files it lists are cut back to their length then (dropping the events of
    /// epochs that will be trained again), and the other Holdout event files of the folder, started after it, are
    /// removed. This logger's own file is kept.
    /// </summary>
    /// <param name="state">What <see cref="SaveState"/> returned.</param>
    /// <exception cref="HoldoutException">An event file cannot be cut or removed.</exception>
    public override void LoadState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var kept = new Dictionary<string, long>(StringComparer.Ordinal);
        if (state["files"] is JsonObject files)
        {
            foreach (var (name, length) in files)
            {
                if (length is not null) kept[name] = length.GetValue<long>();
            }
        }
        KeepOnly(kept);
    }

    /// <summary>Removes the Holdout event files of the folder other than this logger's (those of a run that starts over from epoch 1).</summary>
    /// <exception cref="HoldoutException">A file cannot be removed.</exception>
    internal void DiscardEarlierFiles() => KeepOnly(new Dictionary<string, long>());

    private void KeepOnly(IReadOnlyDictionary<string, long> lengths)
    {
        var folder = Path.GetDirectoryName(FilePath)!;
        lock (_gate)
        {
            _earlierFiles.Clear();
            foreach (var path in Directory.EnumerateFiles(folder, FilePattern).Order(StringComparer.Ordinal).ToList())
            {
                var name = Path.GetFileName(path);
                if (name == Path.GetFileName(FilePath)) continue;
                try
                {
                    if (!lengths.TryGetValue(name, out var length))
                    {
                        File.Delete(path);
                        continue;
                    }
                    using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
                    {
                        if (file.Length > length)
                        {
                            file.SetLength(length);
                            file.Flush(flushToDisk: true);
                        }
                    }
                    _earlierFiles[name] = length;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new HoldoutException($"Cannot cut the TensorBoard event file '{path}' back to the checkpoint: {e.Message}. Expected a writable file; check the permissions, or delete it (its curves are then lost).", e);
                }
            }
        }
    }

    /// <summary>Adds one scalar (buffered until the next flush).</summary>
    /// <param name="tag">The chart's name, e.g. <c>epoch/loss</c>.</param>
    /// <param name="value">The value (stored as float32, as TensorBoard's <c>simple_value</c>).</param>
    /// <param name="step">The x-axis position.</param>
    public void WriteScalar(string tag, double value, long step)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        Append(Event(step).Message(5, Summary(new ProtobufMessage().String(1, tag).Float(2, (float)value))));
    }

    /// <summary>
    /// Adds a text summary (TensorBoard's text plugin, which renders Markdown), e.g. the run's <c>config.json</c>
    /// wrapped in a code block, and writes the file.
    /// </summary>
    /// <param name="tag">The entry's name, e.g. <c>config</c>.</param>
    /// <param name="markdown">The text; Markdown is rendered (indent or fence JSON to keep its layout).</param>
    /// <param name="step">The step it belongs to. Defaults to 0.</param>
    public void WriteText(string tag, string markdown, long step = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(markdown);
        var pluginData = new ProtobufMessage().String(1, "text");
        var metadata = new ProtobufMessage().Message(1, pluginData).Int64(4, DataClassTensor);
        var tensor = new ProtobufMessage().Int64(1, DtString).Message(2, new ProtobufMessage()).Bytes(8, Encoding.UTF8.GetBytes(markdown));
        Append(Event(step).Message(5, Summary(new ProtobufMessage().String(1, tag).Message(9, metadata).Message(8, tensor))));
        Flush();
    }

    /// <summary>Adds an image summary from PNG bytes (e.g. the run's <c>preview.png</c>) and writes the file.</summary>
    /// <param name="tag">The image's name, e.g. <c>preview</c>.</param>
    /// <param name="png">The encoded PNG file.</param>
    /// <param name="step">The step it belongs to. Defaults to 0.</param>
    /// <exception cref="HoldoutException">The bytes are not a PNG.</exception>
    public void WriteImage(string tag, byte[] png, long step = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(png);
        var (width, height, colorspace) = PngHeader(tag, png);
        var image = new ProtobufMessage().Int64(1, height).Int64(2, width).Int64(3, colorspace).Bytes(4, png);
        Append(Event(step).Message(5, Summary(new ProtobufMessage().String(1, tag).Message(4, image))));
        Flush();
    }

    /// <summary>Appends the buffered events to the file and flushes it to disk.</summary>
    /// <exception cref="HoldoutException">The file cannot be written.</exception>
    public void Flush()
    {
        lock (_gate)
        {
            if (_pending.Length == 0) return;
            try
            {
                using var file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
                _pending.WriteTo(file);
                file.Flush(flushToDisk: true);
                _written = file.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HoldoutException($"Cannot append to the TensorBoard event file '{FilePath}': {e.Message}. Expected a writable file; check the disk and permissions.", e);
            }
            _pending.SetLength(0);
        }
    }

    private static ProtobufMessage Event(long step) =>
        new ProtobufMessage().Double(1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).Int64(2, step);

    private static ProtobufMessage Summary(ProtobufMessage value) => new ProtobufMessage().Message(1, value);

    private void Append(ProtobufMessage message)
    {
        lock (_gate) TfRecord.Write(_pending, message.ToMemory().Span);
    }

    /// <summary>Width, height and TensorBoard colourspace (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA) from a PNG's IHDR chunk.</summary>
    private static (int Width, int Height, int Colorspace) PngHeader(string tag, byte[] png)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 26 || !png.AsSpan(0, 8).SequenceEqual(signature) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new HoldoutException(
                $"The image for the TensorBoard entry '{tag}' is not a PNG file ({png.Length} bytes starting {Convert.ToHexString(png.AsSpan(0, Math.Min(8, png.Length)))}). " +
                "Expected PNG bytes, e.g. File.ReadAllBytes(\"preview.png\").");
        }
        var width = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(16, 4));
        var height = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(20, 4));
        var colorspace = png[25] switch
        {
            0 => 1,
            4 => 2,
            6 => 4,
            _ => 3, // RGB, or a palette decoded to RGB
        };
        return (width, height, colorspace);
    }
}
