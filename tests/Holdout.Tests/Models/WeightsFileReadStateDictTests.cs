using Holdout.Models.Weights;
using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

/// <summary>WeightsFile.ReadStateDict: a weights file is opened by what it holds, whatever its name.</summary>
[Collection(NativeCollection.Name)]
public sealed class WeightsFileReadStateDictTests
{
    [PythonModuleFact("torch")]
    public void Should_open_a_checkpoint_and_a_safetensors_file_by_content_even_under_each_others_extension()
    {
        // Given a torch.save checkpoint named .safetensors and its safetensors twin named .pth
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var small = TorchCheckpointTests.SmallFolder.Value;
        var checkpoint = Path.Combine(folder.Path, "weights.safetensors");
        var safetensors = Path.Combine(folder.Path, "weights.pth");
        File.Copy(Path.Combine(small, "plain.pth"), checkpoint);
        File.Copy(Path.Combine(small, "small.safetensors"), safetensors);

        // When both are read
        var fromCheckpoint = WeightsFile.ReadStateDict(checkpoint);
        var fromSafeTensors = WeightsFile.ReadStateDict(safetensors);

        // Then they hold the same tensors
        Assert.Equal(fromSafeTensors.Keys, fromCheckpoint.Keys);
        foreach (var (name, expected) in fromSafeTensors)
            Assert.True((expected == fromCheckpoint[name]).all().item<bool>(), $"{name} differs");
    }

    [PythonModuleFact("torch")]
    public void Should_hand_a_plain_pickle_to_the_checkpoint_reader_which_refuses_it_without_running_it()
    {
        NativeRuntime.EnsureInitialized();
        var path = Path.Combine(TorchCheckpointTests.MaliciousFolder.Value, "raw.pkl");
        var error = Assert.Throws<HoldoutException>(() => WeightsFile.ReadStateDict(path));
        Assert.Contains("os.system", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing in the file was executed", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(TorchCheckpointTests.MaliciousFolder.Value, "raw.ran")));
    }

    [Fact]
    public void Should_read_a_safetensors_file_whose_header_length_starts_like_a_pickle()
    {
        // Given a safetensors file with a header of 128 to 255 bytes: its first byte is 0x80, pickle's PROTO opcode
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "w.safetensors");
        using (var stream = File.Create(path))
            SafeTensorsFile.Write(stream, SafeTensorsFile.Serialise([("w", tensor(new[] { 1f, 2f }))]), new Dictionary<string, string> { ["note"] = new('x', 80) });
        Assert.InRange(File.ReadAllBytes(path)[0], 0x80, 0xff);

        // When it is read, Then it is read as safetensors
        var tensors = WeightsFile.ReadStateDict(path);
        Assert.Equal([1f, 2f], tensors["w"].data<float>().ToArray());
    }

    [Fact]
    public void Should_name_the_file_and_both_accepted_formats_for_anything_else()
    {
        // Given a missing file and a text file
        NativeRuntime.EnsureInitialized();
        using var folder = new TempFolder();
        var text = folder.Write("weights.pth", "not weights\n"u8.ToArray());
        var missing = Path.Combine(folder.Path, "missing.pth");

        foreach (var path in new[] { text, missing })
        {
            // When each is read, Then the message names the file and both formats
            var error = Assert.Throws<HoldoutException>(() => WeightsFile.ReadStateDict(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("torch.save", error.Message, StringComparison.Ordinal);
            Assert.Contains(".safetensors", error.Message, StringComparison.Ordinal);
        }
    }
}
