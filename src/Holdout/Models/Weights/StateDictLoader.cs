using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models.Weights;

/// <summary>
/// Copies named tensors into a module's state dict (parameters and buffers), after checking that the names and
/// shapes match exactly; a mismatch is one error listing what is missing, unexpected and of the wrong shape.
/// </summary>
internal static class StateDictLoader
{
    /// <summary>Copies <paramref name="tensors"/> into <paramref name="module"/>.</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="tensors">Tensors by the module's names.</param>
    /// <param name="source">What the tensors came from, for messages (e.g. the file).</param>
    /// <param name="ignored">Names in the source that are known and deliberately not loaded (e.g. torchvision's <c>fc.*</c>).</param>
    /// <param name="fix">How to fix a mismatch, appended to the message.</param>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source, Func<string, bool> ignored, string fix)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !tensors.ContainsKey(k) && !IsOptional(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !target.ContainsKey(k) && !ignored(k)).ToList();
        var wrongShape = target.Where(kv => tensors.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} is [{string.Join(',', tensors[kv.Key].shape)}], expected [{string.Join(',', kv.Value.shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + wrongShape.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count}: {List(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {List(unexpected)}");
            if (wrongShape.Count > 0) parts.Add($"wrong shape {wrongShape.Count}: {List(wrongShape)}");
            throw new HoldoutException($"The weights in {source} do not fit the model ({string.Join("; ", parts)}). {fix}");
        }
        using var noGrad = no_grad();
        foreach (var (name, destination) in target)
        {
            if (tensors.TryGetValue(name, out var value)) destination.copy_(value);
        }
    }

    /// <summary>BatchNorm's batch counter is not a weight; files without it load.</summary>
    private static bool IsOptional(string name) => name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    private static string List(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(12)) + (items.Count > 12 ? $", ... ({items.Count - 12} more)" : "");
}
