using System.Collections.Concurrent;
using Holdout.Models.Weights;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>
/// torchvision parity fixtures made at test time by <c>Fixtures/make_torchvision_fixture.py</c> (Debian's
/// python3-torchvision; the weights are too large to commit): a random-weight model of one architecture as
/// <c>.pth</c> and <c>.safetensors</c>, and torchvision's pooled features and logits for a few random images. Each
/// (architecture, size, wrap) is made once per test process, in a folder deleted when the process exits.
/// </summary>
internal static class TorchvisionFixture
{
    private static readonly ConcurrentDictionary<string, Lazy<Files>> Made = new(StringComparer.Ordinal);
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "holdout-torchvision-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return root;
    });

    /// <summary>The fixture files of one architecture.</summary>
    /// <param name="Pth">torch.save of the state dict (or of a dict wrapping it under the wrap key).</param>
    /// <param name="SafeTensors">The same state dict as safetensors.</param>
    /// <param name="Reference">input, features and logits as computed by torchvision; metadata <c>state_dict_keys</c>.</param>
    public sealed record Files(string Pth, string SafeTensors, string Reference)
    {
        /// <summary>The reference file, opened.</summary>
        public SafeTensorsFile OpenReference() => SafeTensorsFile.Open(Reference);
    }

    /// <summary>The script that makes the fixtures, beside the test binaries.</summary>
    public static string Script => TestPaths.Fixture("make_torchvision_fixture.py");

    /// <summary>Makes (once) and returns the fixture of torchvision's <paramref name="arch"/> (e.g. <c>convnext_tiny</c>).</summary>
    /// <param name="arch">torchvision's model function name.</param>
    /// <param name="size">Side of the random test images.</param>
    /// <param name="wrap">Wraps the state dict in a dict under this key (<c>state_dict</c>, <c>model</c>), as training checkpoints do.</param>
    public static Files Get(string arch, int size = 64, string? wrap = null)
    {
        var key = $"{arch}-{size}-{wrap ?? "plain"}";
        return Made.GetOrAdd(key, _ => new Lazy<Files>(() =>
        {
            var folder = Path.Combine(Root.Value, key);
            string[] args = ["-B", Script, arch, folder, "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (wrap is not null) args = [.. args, "--wrap", wrap];
            var result = ChildProcess.Run(Python.Executable, args);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"{Script} {arch} failed ({result.ExitCode}):\n{result.Output}\n{result.Errors}");
            return new Files(Path.Combine(folder, arch + ".pth"), Path.Combine(folder, arch + ".safetensors"), Path.Combine(folder, arch + "-reference.safetensors"));
        })).Value;
    }

    /// <summary>The tensor named <paramref name="name"/> of a fixture file.</summary>
    public static Tensor Read(SafeTensorsFile file, string name) => file.ReadTensor(file.Entries.Single(e => e.Name == name));

    /// <summary>The parity measure: max |actual - expected| / max |expected| (shapes must agree).</summary>
    public static double RelativeDifference(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        return (expected - actual.detach()).abs().max().item<float>() / (double)expected.abs().max().item<float>();
    }
}
