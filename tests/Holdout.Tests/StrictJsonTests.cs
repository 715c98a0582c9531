using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Diagnostics;
using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Runs;
using Holdout.Tests.Training;
using Holdout.Training;

namespace Holdout.Tests;

[Collection(NativeCollection.Name)]
public sealed class StrictJsonTests
{
    [Fact]
    public void Should_write_non_finite_numbers_as_null_and_read_null_back_as_nan()
    {
        // Given a document and a record holding NaN and infinities, as values of nodes and of typed properties
        var node = new JsonObject { ["nan"] = double.NaN, ["inf"] = float.PositiveInfinity, ["list"] = new JsonArray(1.5, double.NegativeInfinity), ["ok"] = 0.25 };
        var record = new EpochRecord(1, 0.5, 0.75, double.NaN, double.NaN, 1e-3, 2);

        // When they are written the way Holdout writes JSON, and the record read back
        var nodeText = StrictJson.Write(node, StrictJson.Compact);
        var recordText = JsonSerializer.Serialize(record, RunConfig.Json);
        var back = JsonSerializer.Deserialize<EpochRecord>(recordText, RunConfig.Json)!;

        // Then the non-finite numbers are null (strict JSON), the others unchanged, and null reads back as NaN
        Assert.Equal("""{"nan":null,"inf":null,"list":[1.5,null],"ok":0.25}""", nodeText);
        Assert.Contains("\"val_loss\": null", recordText);
        JsonDocument.Parse(recordText).Dispose();
        Assert.Equal(record, back);
    }

    [Fact]
    public void Should_write_only_strict_json_for_a_run_whose_history_has_no_validation_numbers()
    {
        // Given a tiny dataset split without validation images, so every epoch's val_loss and val_acc are NaN
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 8);
        var folder = Path.Combine(temp.Path, "run");

        // When a run trains on it, the run is evaluated as `evaluate --json` does and the data examined as `doctor --json` does
        var run = TrainingRun.Start(new TrainRunOptions(Data: data, Model: Architecture.SimpleCnn, Epochs: 2, BatchSize: 8, ImageSize: 32, Seed: 3,
            Workers: 2, Split: "80/0/20", Patience: 0, Out: folder));
        var evaluation = RunEvaluation.Evaluate(new RunEvaluationOptions(folder, Workers: 2)).ToJson();
        var doctor = Doctor.Examine(new DoctorOptions(data, Split: "80/0/20", Seed: 3)).ToJsonText(); // --run needs validation images

        // Then the history has NaN, yet every JSON file the run wrote, the JSON inside its model bundles and the
        // printed documents parse with a strict parser (System.Text.Json's defaults refuse NaN and Infinity)
        Assert.All(run.History, e => Assert.True(double.IsNaN(e.ValLoss) && double.IsNaN(e.ValAccuracy)));
        var documents = Directory.GetFiles(folder, "*.json").Select(f => (f, File.ReadAllText(f)))
            .Concat(new[] { "best.holdout", "last.holdout" }.Select(f => Path.Combine(folder, f)).Where(File.Exists).Select(f => (f, SafeTensorsFile.Open(f).Metadata["holdout"])))
            .Append(("evaluate --json", evaluation))
            .Append(("doctor --json", doctor))
            .ToList();
        Assert.Contains(documents, d => d.Item1.EndsWith("config.json", StringComparison.Ordinal));
        Assert.Contains(documents, d => d.Item1.EndsWith("summary.json", StringComparison.Ordinal));
        Assert.Contains(documents, d => d.Item1.EndsWith("split.json", StringComparison.Ordinal));
        Assert.Contains(documents, d => d.Item1.EndsWith("last.holdout", StringComparison.Ordinal));
        foreach (var (source, text) in documents)
        {
            var error = Record.Exception(() => JsonDocument.Parse(text).Dispose());
            Assert.True(error is null, $"{source} is not strict JSON: {error?.Message}");
        }

        // And the missing validation numbers are null, which resuming the run reads back as NaN
        var last = JsonNode.Parse(SafeTensorsFile.Open(Path.Combine(folder, "last.holdout")).Metadata["holdout"])!;
        Assert.Contains("\"val_loss\":null", last.ToJsonString());
        var resumed = TrainingRun.Resume(folder);
        Assert.Equal(run.History.Select(e => e with { Seconds = 0 }), resumed.History.Select(e => e with { Seconds = 0 }));
    }
}
