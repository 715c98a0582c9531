using System.Text.Json;
using Holdout.Data;
using Holdout.Models;

namespace Holdout.Cli;

/// <summary>Parses option values with messages that list what is accepted.</summary>
internal static class CliOptions
{
    public static T Parse<T>(string option, string value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            var name = OptionNames.Of(candidate);
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase) || string.Equals(candidate.ToString(), value, StringComparison.OrdinalIgnoreCase))
                return candidate;
        }
        var accepted = string.Join(", ", Enum.GetValues<T>().Select(v => OptionNames.Of(v)));
        throw new HoldoutException($"{option} '{value}' is not one of: {accepted}.");
    }

    public static Architecture Architecture(string value)
    {
        foreach (var a in Enum.GetValues<Architecture>())
            if (string.Equals(ModelFactory.CliName(a), value, StringComparison.OrdinalIgnoreCase)) return a;
        throw new HoldoutException($"--model '{value}' is not one of: {string.Join(", ", Enum.GetValues<Architecture>().Select(ModelFactory.CliName))}.");
    }

    public static string Augment(string value) => value.ToLowerInvariant() is "none" or "light" or "standard"
        ? value.ToLowerInvariant()
        : throw new HoldoutException($"--augment '{value}' is not one of: none, light, standard.");

    public static string Ratios(string value)
    {
        SplitRatios.Parse(value);
        return value;
    }

    public static string Monitor(string value) => value is "val_loss" or "val_acc" or "loss" or "acc"
        ? value
        : throw new HoldoutException($"--monitor '{value}' is not one of: val_loss, val_acc, loss, acc.");
}
