namespace Holdout.Tests.Cli;

public sealed class CliHelpTests
{
    public static TheoryData<string> Commands() => ["train", "evaluate", "predict", "explain", "embed", "export", "report", "doctor", "lr-find", "split", "preview", "env"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Should_render_every_command_help_with_its_options(string command)
    {
        // Given a command; When its help is asked for; Then it renders (exit 0) and lists options
        var result = CliProcess.Run(command, "--help");
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        Assert.DoesNotContain("Unhandled exception", result.Output + result.Errors);
        Assert.Contains("USAGE", result.Output);
    }

    [Fact]
    public void Should_list_every_command_in_the_top_level_help()
    {
        var result = CliProcess.Run("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var command in Commands()) Assert.Contains(command, result.Output);
    }

    [Theory]
    [InlineData("train", "--model", "vgg16")]
    [InlineData("train", "--augment", "heavy")]
    [InlineData("train", "--epochs", "many")]
    [InlineData("train", "--no-such-option")]
    public void Should_refuse_a_bad_option_with_a_clear_message_and_exit_code_2(params string[] args)
    {
        // Given a bad option; When the tool runs; Then exit code 2, one clear message, no stack trace
        var result = CliProcess.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Errors);
        Assert.DoesNotContain("   at ", result.Errors + result.Output);
    }
}
