using Holdout.Tests.Training;

namespace Holdout.Tests.Cli;

public sealed class PreviewCommandTests
{
    [Theory]
    [InlineData("simple-cnn")]
    [InlineData("resnet18")]
    public void Should_write_the_batch_preview_with_the_chosen_models_preprocessing(string model)
    {
        // Given a tiny dataset
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 4, size: 32);
        var output = Path.Combine(temp.Path, "grid.png");

        // When the preview is written for the model
        var result = CliProcess.Run("preview", data, "--model", model, "--image-size", "32", "--count", "4", "--out", output);

        // Then it succeeds and writes a PNG
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(output).Take(4));
    }

    [Fact]
    public void Should_preview_at_the_models_default_image_size_as_train_would()
    {
        // Given a tiny dataset
        using var temp = new TempFolder();
        var data = TinyImageFolder.Create(temp, perClass: 4, size: 32);
        var output = Path.Combine(temp.Path, "grid.png");

        // When the simple CNN's preview is asked for without an image size
        var result = CliProcess.Run("preview", data, "--model", "simple-cnn", "--count", "2", "--out", output);

        // Then it shows the simple CNN's own default input (128 px), as holdout train would use
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        Assert.Contains("128x128", result.Output, StringComparison.Ordinal);
    }
}
