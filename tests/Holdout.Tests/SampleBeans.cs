using Holdout.Data;

namespace Holdout.Tests;

/// <summary>The real bean-leaf photos committed in the repository's <c>samples/beans</c> (three classes, 300 each, 128x128).</summary>
internal static class SampleBeans
{
    public static readonly string[] Classes = ["angular_leaf_spot", "bean_rust", "healthy"];

    public static string Folder => Path.Combine(
        SharedData.Repository ?? throw new InvalidOperationException("The tests run outside a repository clone: samples/beans cannot be found."),
        "samples", "beans");

    /// <summary><paramref name="count"/> photos spread evenly over the classes (every k-th in path order), labelled by folder.</summary>
    public static IReadOnlyList<ImageSample> Take(int count)
    {
        var all = Classes.SelectMany((name, label) => Directory.GetFiles(Path.Combine(Folder, name), "*.jpg")
            .Order(StringComparer.Ordinal).Select(path => new ImageSample(path, label))).ToList();
        var step = Math.Max(1, all.Count / count);
        return all.Where((_, i) => i % step == 0).Take(count).ToList();
    }
}
