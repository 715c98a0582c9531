using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Models;
using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

/// <summary>
/// The loss and optimiser options of 'holdout train' reach the run: recorded in config.json as given, and --class-weights
/// computed from the training split (the library tests check what each option computes).
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class TrainOptionsCliTests
{
    [Fact]
    public void Should_train_with_the_given_loss_and_optimiser_options_and_record_them()
    {
        // Given an imbalanced tiny dataset (12 red, 6 green, 6 blue)
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, [12, 6, 6], size: 32);
        var run = Path.Combine(temp.Path, "run");

        // When a one-epoch run is trained with every loss and optimiser option set away from its default
        var result = CliProcess.Run("train", data, "--model", "simple-cnn", "--image-size", "32", "--epochs", "1", "--batch-size", "8",
            "--workers", "1", "--optimizer", "sgd", "--weight-decay", "0.01", "--label-smoothing", "0.1", "--class-weights", "--lr-mult", "10",
            "--out", run);

        // Then it succeeds and config.json records each option as given
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        var options = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!["options"]!;
        Assert.Equal("sgd", options["optimizer"]!.GetValue<string>());
        Assert.Equal(0.01, options["weight_decay"]!.GetValue<double>());
        Assert.Equal(0.1, options["label_smoothing"]!.GetValue<double>());
        Assert.True(options["class_weights"]!.GetValue<bool>());
        Assert.Equal(10, options["learning_rate_multiplier"]!.GetValue<double>());

        // And the best model's bundle holds the loss's class weights: the inverse frequencies of the training split
        var manifest = SplitManifest.Read(Path.Combine(run, "split.csv"));
        var train = manifest.Samples(DataSplit.Train);
        var counts = Enumerable.Range(0, 3).Select(c => train.Count(s => s.Label == c)).ToArray();
        var bundle = ModelBundle.Load(Path.Combine(run, "best.holdout"));
        using (bundle.Model)
        {
            var recorded = bundle.Metadata["class_weights"]!.AsArray().Select(w => w!.GetValue<double>()).ToArray();
            var expected = counts.Select(n => (double)counts.Sum() / (3 * n)).ToArray();
            Assert.Equal(expected, recorded, (e, r) => Math.Abs(e - r) < 1e-5);
            var (red, blue) = (manifest.ClassNames.ToList().IndexOf("red"), manifest.ClassNames.ToList().IndexOf("blue"));
            Assert.True(recorded[red] < recorded[blue], $"red, the larger class, should weigh less than blue: {string.Join(", ", recorded.Select(r => r.ToString(CultureInfo.InvariantCulture)))}");
        }
    }

    [Fact]
    public void Should_pass_weights_file_to_the_loader_and_refuse_a_missing_one_naming_it()
    {
        // Given a path where no weights file is
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 4, size: 32);
        var missing = Path.Combine(temp.Path, "no-such-weights.safetensors");

        // When 'holdout train --model resnet18 --weights FILE' runs with it
        var result = CliProcess.Run("train", data, "--model", "resnet18", "--weights", missing, "--image-size", "32", "--epochs", "1",
            "--out", Path.Combine(temp.Path, "run"));

        // Then it fails (exit 1) naming the file, without a stack trace
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}: {result.Output}{result.Errors}");
        Assert.Contains("no-such-weights.safetensors", System.Text.RegularExpressions.Regex.Replace(result.Errors, @"\s+", ""), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Errors, StringComparison.Ordinal);
    }
}
