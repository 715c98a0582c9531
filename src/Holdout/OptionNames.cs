using System.Text.Json;

namespace Holdout;

/// <summary>
/// The names options and their values have on the command line and in <c>config.json</c>: kebab-case
/// (<c>fine-tune</c>, <c>one-cycle</c>, <c>simple-cnn</c>), with architectures written as users write them
/// (<c>resnet18</c>, <c>efficientnet-b0</c>, <c>mobilenet-v3-large</c>, <c>convnext-tiny</c>). The library owns these names; the CLI only reads them from here.
/// </summary>
public static class OptionNames
{
    /// <summary>The JSON naming policy that writes enum values by these names.</summary>
    internal static JsonNamingPolicy Policy { get; } = new KebabPolicy();

    /// <summary>The option-value name of an enum member, e.g. <c>fine-tune</c>.</summary>
    /// <param name="value">The member.</param>
    public static string Of<T>(T value) where T : struct, Enum => Policy.ConvertName(value.ToString());

    /// <summary>Every accepted name of an enum's members, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(v => Of(v))];

    /// <summary>The member an option value names (case-insensitive; its C# name is accepted too).</summary>
    /// <param name="option">The option, for the message, e.g. <c>--recipe</c>.</param>
    /// <param name="value">What the user wrote.</param>
    /// <exception cref="HoldoutException">The value names no member; the message lists the accepted names.</exception>
    public static T Parse<T>(string option, string value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Of(candidate), value, StringComparison.OrdinalIgnoreCase) || string.Equals(candidate.ToString(), value, StringComparison.OrdinalIgnoreCase))
                return candidate;
        }
        throw new HoldoutException($"{option} '{value}' is not one of: {string.Join(", ", All<T>())}.");
    }

    private sealed class KebabPolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) =>
            KebabCaseLower.ConvertName(name).Replace("res-net", "resnet", StringComparison.Ordinal)
                .Replace("efficient-net", "efficientnet", StringComparison.Ordinal)
                .Replace("mobile-net", "mobilenet", StringComparison.Ordinal)
                .Replace("conv-ne-xt", "convnext", StringComparison.Ordinal);
    }
}
