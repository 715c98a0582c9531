using Holdout.Models;
using Holdout.Runs;

namespace Holdout.Cli;

/// <summary>
/// The options every command that builds a run setup shares with <c>holdout train</c> (model, weights, input size,
/// augmentation, split and seed), mapped onto the library's <see cref="TrainRunOptions"/>, which checks them.
/// </summary>
internal abstract class RunSettings : DecodingSettings
{
    [CommandOption("--model <NAME>")]
    [Description("simple-cnn, resnet18, resnet34, resnet50, efficientnet-b0, mobilenet-v3-large or convnext-tiny (torchvision's layouts).")]
    [DefaultValue("resnet18")]
    public string Model { get; init; } = "resnet18";

    [CommandOption("--weights <WEIGHTS>")]
    [Description("bundled (offline ImageNet weights; resnet18 only), none, or torchvision's state dict for the model as FILE.pth (torch.save; read without running pickle code) or FILE.safetensors. Default: bundled for resnet18, none for the others.")]
    public string? Weights { get; init; }

    [CommandOption("--image-size <PX>")]
    [Description("Model input side in pixels. Default: 224 (128 for simple-cnn).")]
    public int? ImageSize { get; init; }

    [CommandOption("--augment <PRESET>")]
    [Description("none, light or standard.")]
    [DefaultValue("standard")]
    public string Augment { get; init; } = "standard";

    [CommandOption("--seed <N>")]
    [Description("Drives splitting, shuffling, augmentation and initialisation.")]
    [DefaultValue(42L)]
    public long Seed { get; init; } = 42;

    [CommandOption("--split <RATIOS>")]
    [Description("Train/validation/test percentages (ignored when DATA is already split).")]
    [DefaultValue("70/15/15")]
    public string Split { get; init; } = "70/15/15";

    /// <summary>The images, as given on the command line (null: the sample).</summary>
    public abstract string? DataPath { get; }

    /// <summary>The options these settings give (and the command's own), checked.</summary>
    public TrainRunOptions ToOptions()
    {
        var options = Complete(new TrainRunOptions(DataPath, OptionNames.Parse<Architecture>("--model", Model), Weights, ImageSize: ImageSize,
            Augment: Augment.ToLowerInvariant(), Seed: Seed, Split: Split, Workers: Workers));
        options.Validate();
        return options;
    }

    /// <summary>Adds the command's own options to the shared ones.</summary>
    protected abstract TrainRunOptions Complete(TrainRunOptions shared);

    protected override void Check()
    {
        base.Check();
        ToOptions();
    }
}
