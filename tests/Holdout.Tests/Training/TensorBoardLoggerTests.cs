using System.Text.Json.Nodes;
using Holdout.Training;
using SkiaSharp;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class TensorBoardLoggerTests
{
    private const string Config = "```json\n{ \"model\": \"resnet18\", \"epochs\": 5, \"note\": \"héllo\" }\n```";

    [Fact]
    public void Should_frame_every_event_with_checksums_and_values_an_independent_reader_checks()
    {
        // Given a logger that writes a scalar, the configuration as text and a PNG preview
        using var temp = new TempFolder();
        var png = Png(5, 4);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var logger = new TensorBoardLogger(Path.Combine(temp.Path, "tensorboard"));
        logger.WriteScalar("epoch/loss", 0.25, 3);
        logger.WriteText("config", Config);
        logger.WriteImage("preview", png, 2);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        // When the file is read by the tests' own TFRecord and protobuf reader (every CRC checked)
        var events = EventFileReader.Read(logger.FilePath);

        // Then it is named as TensorFlow names event files and holds the file version, then the three summaries
        Assert.Equal(0xE3069283u, EventFileReader.Crc32C("123456789"u8));
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\..+\.holdout$", Path.GetFileName(logger.FilePath));
        Assert.Equal(4, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.All(events, e => Assert.InRange(e.WallTime, before - 0.001, after + 0.001));
        var scalar = Assert.Single(events[1].Values);
        Assert.Equal(("epoch/loss", 0.25f, 3L), (scalar.Tag, scalar.SimpleValue!.Value, events[1].Step));
        var text = Assert.Single(events[2].Values);
        Assert.Equal(("config", "text", 2L, 7L, Config), (text.Tag, text.PluginName, text.DataClass, text.TensorType, text.Text));
        var image = Assert.Single(events[3].Values);
        Assert.Equal(("preview", 4L, 5L, png[25] == 6 ? 4L : 3L, 2L), (image.Tag, image.Image!.Height, image.Image.Width, image.Image.Colorspace, events[3].Step));
        Assert.Equal(png, image.Image.Encoded);

        // And one changed byte in a record makes its checksum fail
        var damaged = File.ReadAllBytes(logger.FilePath);
        damaged[^6] ^= 0x01;
        var copy = temp.Write("damaged.tfevents", damaged);
        Assert.Throws<InvalidDataException>(() => EventFileReader.Read(copy));
    }

    [Fact]
    public void Should_log_the_historys_epoch_scalars_and_every_batch_and_flush_each_epoch()
    {
        // Given a tiny model trained 3 epochs with the logger, and a callback after it that reads the file at each epoch's end
        using var temp = new TempFolder();
        using var train = TinyData.Source(256, seed: 1, shuffle: true);
        using var validation = TinyData.Source(64, seed: 2, shuffle: false);
        using var model = TinyData.Model(3);
        var logger = new TensorBoardLogger(temp.Path);
        var probe = new EpochFileProbe(logger.FilePath);
        using var trainer = new Trainer(model, callbacks: [logger, probe]);

        // When it trains
        var history = trainer.Fit(train, validation, TinyData.Phase(model, 3, schedule: ScheduleKind.OneCycle));
        var values = EventFileReader.Read(logger.FilePath).Skip(1)
            .SelectMany(e => e.Values.Select(v => (v.Tag, e.Step, Value: v.SimpleValue!.Value))).ToList();

        // Then each epoch's loss, acc, val_loss, val_acc and lr are the history's (as float32), at step = epoch
        foreach (var (tag, pick) in new (string, Func<EpochRecord, double>)[]
                 { ("loss", e => e.Loss), ("acc", e => e.Accuracy), ("val_loss", e => e.ValLoss), ("val_acc", e => e.ValAccuracy), ("lr", e => e.LearningRate) })
        {
            var logged = values.Where(v => v.Tag == "epoch/" + tag).ToList();
            Assert.Equal([1L, 2L, 3L], logged.Select(v => v.Step));
            Assert.Equal(history.Epochs.Select(e => (float)pick(e)), logged.Select(v => v.Value));
        }

        // And every batch has its own loss and learning rate on one axis, 16 steps per epoch: each epoch's mean batch loss
        // is the epoch's loss (equal batches), and the one-cycle rate rises then falls
        var batchLoss = values.Where(v => v.Tag == "batch/loss").ToList();
        var batchLr = values.Where(v => v.Tag == "batch/lr").ToList();
        Assert.Equal(Enumerable.Range(1, 48).Select(i => (long)i), batchLoss.Select(v => v.Step));
        Assert.Equal(Enumerable.Range(1, 48).Select(i => (long)i), batchLr.Select(v => v.Step));
        for (int epoch = 0; epoch < 3; epoch++)
            Assert.Equal(history.Epochs[epoch].Loss, batchLoss.Skip(16 * epoch).Take(16).Average(v => v.Value), 5);
        Assert.True(batchLr.Max(v => v.Value) > batchLr[0].Value && batchLr.Max(v => v.Value) > batchLr[^1].Value);
        Assert.Equal((float)history.Epochs[^1].LearningRate, batchLr[^1].Value);

        // And the file already held each epoch's scalars when that epoch ended (a killed run keeps its curves)
        Assert.Equal([1, 2, 3], probe.EpochsInFile);
    }

    [Fact]
    public void Should_refuse_an_image_that_is_not_a_png_with_a_clear_message()
    {
        // Given a logger; When JPEG bytes are given as the preview; Then the error names the entry and what is expected
        using var temp = new TempFolder();
        var logger = new TensorBoardLogger(temp.Path);
        var error = Assert.Throws<HoldoutException>(() => logger.WriteImage("preview", TestImages.Jpeg(1, 16, 16)));
        Assert.Contains("'preview' is not a PNG file", error.Message, StringComparison.Ordinal);
        Assert.Contains("Expected PNG bytes", error.Message, StringComparison.Ordinal);
    }

    [PythonModuleFact("tensorboard")]
    public void Should_be_read_by_tensorboards_own_event_accumulator()
    {
        // Given an event file with scalars over two steps, the configuration as text and a preview image
        using var temp = new TempFolder();
        var logger = new TensorBoardLogger(temp.Path);
        logger.WriteScalar("epoch/loss", 0.5, 1);
        logger.WriteScalar("epoch/loss", 0.375, 2);
        logger.WriteScalar("batch/lr", 0.001, 7);
        logger.WriteText("config", Config);
        var png = Png(6, 3);
        logger.WriteImage("preview", png);

        // When TensorBoard's EventAccumulator loads the folder (it checks the record checksums itself)
        var result = Python.Run("""
            import json, sys
            from tensorboard.backend.event_processing import event_accumulator as ea
            acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
            acc.Reload()
            tags = acc.Tags()
            print(json.dumps({
                "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
                "images": {t: [[e.step, e.width, e.height, len(e.encoded_image_string)] for e in acc.Images(t)] for t in tags["images"]},
                "texts": {t: [e.tensor_proto.string_val[0].decode("utf-8") for e in acc.Tensors(t)] for t in tags["tensors"]},
            }))
            """, temp.Path);

        // Then it finds every value as written
        Assert.True(result.ExitCode == 0, result.Errors);
        var json = JsonNode.Parse(result.Output)!;
        Assert.Equal("[[1,0.5],[2,0.375]]", json["scalars"]!["epoch/loss"]!.ToJsonString());
        Assert.Equal(0.001, json["scalars"]!["batch/lr"]![0]![1]!.GetValue<double>(), 6);
        Assert.Equal($"[[0,6,3,{png.Length}]]", json["images"]!["preview"]!.ToJsonString());
        Assert.Equal(Config, json["texts"]!["config"]![0]!.GetValue<string>());
    }

    private static byte[] Png(int width, int height)
    {
        using var bitmap = TestImages.Picture(7, width, height);
        return TestImages.Encode(bitmap, SKEncodedImageFormat.Png);
    }

    /// <summary>Counts, at every epoch's end, how many epochs' losses the event file already holds.</summary>
    private sealed class EpochFileProbe(string path) : Callback
    {
        public List<int> EpochsInFile { get; } = [];

        public override void OnEpochEnd(TrainingContext context, EpochLogs logs) =>
            EpochsInFile.Add(EventFileReader.Read(path).Count(e => e.Values.Any(v => v.Tag == "epoch/loss")));
    }
}
