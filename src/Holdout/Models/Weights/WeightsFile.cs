using Holdout.Native;
using static TorchSharp.torch;

namespace Holdout.Models.Weights;

/// <summary>
/// Reads a state dict from a weights file by what it holds, not by its name: a zip archive (<c>PK</c>) is a PyTorch
/// checkpoint (<see cref="TorchCheckpoint"/>), an 8-byte length followed by a JSON object is safetensors
/// (<see cref="SafeTensorsFile"/>). A pickle that is not in a zip goes to <see cref="TorchCheckpoint"/> too, which
/// scans it and says why it is refused. Anything else is a <see cref="HoldoutException"/> naming the file and the two
/// accepted formats.
/// </summary>
internal static class WeightsFile
{
    private const string Formats = "a PyTorch checkpoint written by torch.save (.pth, .pt; PyTorch 1.6 or later) or a .safetensors file";

    /// <summary>The tensors of the state dict in <paramref name="path"/>, by name, in the caller's dispose scope.</summary>
    /// <remarks>Safetensors floats come back as float32 (<see cref="SafeTensorsFile.ReadTensor"/>); a checkpoint's
    /// tensors keep their stored dtype.</remarks>
    /// <exception cref="HoldoutException">The file is missing, of another format, or refused by its reader.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        NativeRuntime.EnsureInitialized();
        if (!File.Exists(path))
            throw new HoldoutException($"The weights file '{path}' does not exist. Expected {Formats}; check the path.");
        Span<byte> head = stackalloc byte[9];
        int read;
        using (var stream = File.OpenRead(path)) read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (head.StartsWith("PK\x03\x04"u8)) return TorchCheckpoint.Read(path);
        // Before the pickle test: a safetensors header of 128 to 255 bytes starts with 0x80 too.
        if (read == 9 && head[8] == (byte)'{') return SafeTensorsFile.Open(path).ReadAll();
        if (read > 0 && head[0] == 0x80) return TorchCheckpoint.Read(path);
        throw new HoldoutException(
            $"The weights file '{path}' is not in an accepted format, {Formats}: it starts with bytes {Convert.ToHexString(head)}. " +
            "Save the weights with torch.save(model.state_dict(), 'weights.pth') or as .safetensors, and check the path.");
    }
}
