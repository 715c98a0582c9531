using System.Text.Json;

namespace Holdout;

/// <summary>
/// The names options and their values have on the command line and in <c>config.json</c>: kebab-case
/// (<c>fine-tune</c>, <c>one-cycle</c>, <c>simple-cnn</c>), with ResNets written as users write them
/// (<c>resnet18</c>, not <c>res-net18</c>).
/// </summary>
public sealed class OptionNames : JsonNamingPolicy
{
    /// <summary>The one instance.</summary>
    public static OptionNames Policy { get; } = new();

    /// <inheritdoc/>
    public override string ConvertName(string name) =>
        KebabCaseLower.ConvertName(name).Replace("res-net", "resnet", StringComparison.Ordinal);

    /// <summary>The option-value name of an enum member, e.g. <c>fine-tune</c>.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Policy.ConvertName(value.ToString());
}
