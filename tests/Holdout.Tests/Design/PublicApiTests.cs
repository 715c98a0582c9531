using System.Runtime.CompilerServices;

namespace Holdout.Tests.Design;

/// <summary>
/// The library's public types are listed in <c>PublicApi.txt</c> beside this file, so a change to the surface is a
/// visible decision in review: a type made public or internal changes that file in the same commit. Regenerate it
/// with <c>HOLDOUT_UPDATE_PUBLIC_API=1 dotnet test --filter PublicApiTests</c> and read the diff.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Should_expose_exactly_the_public_types_listed_in_PublicApi_txt()
    {
        // Given the listed surface and the compiled one
        var file = Path.Combine(SourceFolder(), "PublicApi.txt");
        var actual = Describe(typeof(HoldoutException).Assembly);
        if (Environment.GetEnvironmentVariable("HOLDOUT_UPDATE_PUBLIC_API") == "1") File.WriteAllText(file, string.Join('\n', actual) + "\n");
        var listed = File.ReadAllLines(file).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

        // When they are compared
        var added = actual.Except(listed).ToList();
        var removed = listed.Except(actual).ToList();

        // Then they are the same
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"The public surface changed. Public now but not listed: [{string.Join(", ", added)}]. Listed but not public: [{string.Join(", ", removed)}]. " +
            "If intended, update PublicApi.txt (HOLDOUT_UPDATE_PUBLIC_API=1).");
    }

    /// <summary>"kind Namespace.Type" for every exported type, sorted.</summary>
    internal static List<string> Describe(System.Reflection.Assembly assembly) =>
        [.. assembly.GetExportedTypes().Select(t => $"{Kind(t)} {t.FullName!.Replace('+', '.')}").Order(StringComparer.Ordinal)];

    private static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct"
        : t.GetMethod("<Clone>$") is not null ? "record"
        : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : "class";

    private static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
