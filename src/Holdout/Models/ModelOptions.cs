namespace Holdout.Models;

/// <summary>What to build: architecture, classes, input size, weights, head and seed.</summary>
/// <param name="Architecture">The network family.</param>
/// <param name="ClassNames">Class names in label order; their count is the number of outputs.</param>
/// <param name="ImageSize">Square input side in pixels (e.g. 224); written into the backbone's preprocessing.</param>
/// <param name="Weights">
/// <c>"bundled"</c> (the offline ImageNet weights; ResNet-18 only), <c>"none"</c> (random initialisation) or the path
/// of a torchvision-format <c>.safetensors</c> file.
/// </param>
/// <param name="Head">The head on a ResNet backbone. Defaults to <c>new HeadOptions()</c> (average pooling, linear).</param>
/// <param name="Seed">Seeds the initialisation of every new layer. Defaults to 42.</param>
public sealed record ModelOptions(
    Architecture Architecture,
    IReadOnlyList<string> ClassNames,
    int ImageSize,
    string Weights,
    HeadOptions? Head = null,
    long Seed = 42)
{
    /// <summary>The value of <see cref="Weights"/> that selects the offline pretrained weights.</summary>
    public const string BundledWeights = "bundled";

    /// <summary>The value of <see cref="Weights"/> that selects random initialisation.</summary>
    public const string NoWeights = "none";

    /// <summary>The head in effect: <see cref="Head"/> or the defaults.</summary>
    public HeadOptions EffectiveHead => Head ?? new HeadOptions();
}
