using System.Text.Json.Nodes;
using Holdout.Runs;

namespace Holdout.Tests.Reporting;

/// <summary>What the report says about a run's setup: a title naming the dataset and model, and each setting once.</summary>
public sealed class RunSettingsReportTests
{
    // A config.json as holdout train writes it (shortened): every option as given, the derived effective_* values, the
    // effective section, the precision choice, the backbone, the versions and a budget plan.
    private const string ConfigJson = """
        {
          "command_line": "holdout train --budget 100s",
          "created": "2026-12-07T07:14:40+00:00",
          "seed": 42,
          "options": {
            "data": null, "model": "resnet18", "weights": null, "recipe": null, "epochs": 6, "batch_size": 32,
            "image_size": null, "learning_rate": null, "seed": 42, "precision": "auto", "eval_image_size": null,
            "effective_weights": "bundled", "pretrained": true, "effective_recipe": "fine-tune", "effective_epochs": 6,
            "effective_image_size": 224, "effective_learning_rate": 0.001
          },
          "effective": { "data": "/data/beans", "weights": "bundled", "recipe": "fine-tune", "image_size": 224, "learning_rate": 0.001, "precision": "bf16", "workers": 2 },
          "precision_choice": { "requested": "auto", "chosen": "bf16", "reason": "measured: bf16 is faster", "fp32_step_seconds": 14.5 },
          "backbone": { "architecture": "resnet18-cntk", "preprocessing": { "input_size": 224, "mean": [103.06, 115.9, 123.15], "eval_size": 224 } },
          "versions": { "holdout": "0.1.0", "threads": 2 },
          "budget_plan": { "epochs": 4, "budget_seconds": 100 }
        }
        """;

    private static RunConfig Config() => new(new TrainRunOptions(Epochs: 6), "holdout train --budget 100s", null, JsonNode.Parse(ConfigJson)!.AsObject());

    [Fact]
    public void Should_show_each_setting_once_with_the_value_used_and_the_given_one_where_it_differs()
    {
        // Given the config and a summary that records the evaluation size chosen on validation
        var summary = JsonNode.Parse("""{ "eval_image_size": 256, "eval_image_size_validation_loss": { "224": 0.5, "256": 0.4 } }""")!.AsObject();

        // When the report's rows are made
        var rows = RunSettings.Rows(Config(), summary).ToDictionary(r => r.Name);

        // Then no setting appears twice or under options./effective./effective_ names, and derived values are left out
        Assert.Equal(rows.Count, RunSettings.Rows(Config(), summary).Count);
        Assert.DoesNotContain(rows.Keys, n => n.StartsWith("options", StringComparison.Ordinal) || n.StartsWith("effective", StringComparison.Ordinal) || n.StartsWith("precision_choice", StringComparison.Ordinal));
        Assert.DoesNotContain("pretrained", rows.Keys);
        Assert.DoesNotContain("backbone.preprocessing.input_size", rows.Keys);
        Assert.DoesNotContain("budget_plan.epochs", rows.Keys);

        // And each row holds the value used, with the given one where the run chose another
        Assert.Equal(new("precision", "bf16 (measured: bf16 is faster)", "auto"), rows["precision"]);
        Assert.Equal(new("epochs", "4", "6"), rows["epochs"]);
        Assert.Equal(new("image_size", "224"), rows["image_size"]);
        Assert.Equal(new("data", "/data/beans"), rows["data"]);
        Assert.Equal(new("batch_size", "32"), rows["batch_size"]);
        Assert.Equal(new("seed", "42"), rows["seed"]);
        Assert.Equal(new("workers", "2"), rows["workers"]);
        Assert.Equal(new("eval_image_size", "256 (chosen on validation loss: 0.5000 at 224 px, 0.4000 at 256 px)"), rows["eval_image_size"]);

        // And the other parts of config.json keep one row per field
        Assert.Equal("holdout train --budget 100s", rows["command_line"].Value);
        Assert.Equal("[103.06,115.9,123.15]", rows["backbone.preprocessing.mean"].Value);
        Assert.Equal("2", rows["versions.threads"].Value);
        Assert.Equal("100", rows["budget_plan.budget_seconds"].Value);
    }

    [Fact]
    public void Should_title_the_report_with_the_dataset_and_the_model()
    {
        // Given the config of a fine-tuned ResNet-18 on /data/beans
        // Then the title names both; a manifest is named by its file, a split.csv by its folder
        Assert.Equal("beans · ResNet-18 fine-tune", RunSettings.Title(Config()));
        Assert.Equal("plants", RunSettings.DatasetName("/x/plants/split.csv"));
        Assert.Equal("labels", RunSettings.DatasetName("/x/labels.csv"));
        Assert.Equal("beans", RunSettings.DatasetName("/x/beans/"));
        Assert.Equal("unknown data", RunSettings.DatasetName(null));
    }
}
