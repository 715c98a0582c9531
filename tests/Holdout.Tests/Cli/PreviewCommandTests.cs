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
        var result = CliProcess.Run("preview", data, "--model", model, "--size", "32", "--count", "4", "--out", output);

        // Then it succeeds and writes a PNG
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(output).Take(4));
    }
}
