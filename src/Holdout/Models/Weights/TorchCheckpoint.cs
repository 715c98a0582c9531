using System.IO.Compression;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models.Weights;

/// <summary>
/// Reads the state dict (tensors by name) from a PyTorch checkpoint written by <c>torch.save</c> in PyTorch 1.6 or
/// later (a zip archive holding <c>NAME/data.pkl</c> and the tensor storages <c>NAME/data/KEY</c>): torchvision's and
/// timm's <c>.pth</c> files, a plain state dict or a training checkpoint that wraps one. No Python code is run and no
/// pickle is executed: <c>data.pkl</c> is read by <see cref="TorchPickle"/>, which refuses any reference to a Python
/// function or class that torch.save does not write for tensors and plain containers, before any tensor is read.
/// </summary>
/// <remarks>
/// <para>What is accepted: the state dict at the top level (an OrderedDict or dict of tensors), or under the first of
/// <see cref="WrapperKeys"/> that holds one (<c>{"state_dict": ..., "epoch": 3, "optimizer": ...}</c>); other entries
/// are not read, but they must pass the same check (an optimizer's state is plain containers and tensors; a training
/// script's <c>args</c> is an <c>argparse.Namespace</c>, which is allowed as a bag of attributes). When every name
/// starts with <c>module.</c> (a model saved inside DataParallel) the prefix is removed. Tensors keep their stored
/// dtype (float32, float16, bfloat16, float64, the integer types, bool) and values; parameters come back as plain
/// tensors; views, shared storages and channels-last or otherwise strided tensors are rebuilt as PyTorch does and
/// returned contiguous. Storages are read little-endian (refused when the archive's <c>byteorder</c> says big).</para>
/// <para>What is refused, as a <see cref="HoldoutException"/> naming the file, what was found, that nothing was
/// executed and the fix: any other Python global (e.g. <c>posix.system</c>, <c>builtins.exec</c>,
/// <c>subprocess.call</c>, <c>torch.storage._load_from_bytes</c>, a model class saved whole with
/// <c>torch.save(model)</c>), the copyreg extension registry, PyTorch's legacy pre-1.6 format and plain pickles (their
/// first pickles are scanned only to name what they import), malformed archives and pickles, tensors that reach
/// outside their storage, and storages whose size disagrees with data.pkl or that are compressed (torch.save never
/// compresses them; the check keeps a small file from claiming a huge allocation).</para>
/// <para>Why not TorchSharp.PyBridge 1.4.4 (checked 2026-12 against files written by PyTorch 1.13): its reader
/// (<c>PyTorchUnpickler.UnpickleStateDict</c>) fails on valid checkpoints. A channels-last model's state dict (timm's
/// <c>--channels-last</c> training) and any non-contiguous tensor throw <c>InvalidOperationException: Bytes() called
/// on non-contiguous tensor</c>; a tensor that is a view at a non-zero offset of a shared storage throws libtorch's
/// <c>setStorage: ... out of bounds for storage</c> (it allocates the view's size, not the storage's);
/// <c>nn.Parameter</c> entries throw <c>NotImplementedException</c> ("contains the entire model"); a bare tensor
/// throws <c>InvalidCastException</c>; and names come back in a <c>Hashtable</c>, out of order. It would also add
/// Razorvine.Pickle and TqdmSharp, and a check followed by a second parser invites the two to disagree: here the one
/// reader is the check.</para>
/// <para>PyBridge's unpickler, Razorvine.Pickle 1.5.0, was read for safety too: it executes no pickle code and never
/// turns a pickled name into a .NET type. An unknown global becomes a <c>ClassDictConstructor</c> (calling it makes a
/// dictionary; names ending in Error/Exception under <c>builtins</c> make a fixed <c>PythonException</c>); REDUCE only
/// calls <c>IObjectConstructor</c>s from a fixed, process-wide registry (complex, array, bytearray, set, datetime,
/// decimal, <c>_codecs.encode</c>, plus PyBridge's four, which its static constructor adds to that global table); BUILD
/// calls a method named <c>__setstate__</c>, found by reflection, on objects the unpickler itself built. So a
/// malicious file could not run code through it, but it could make it allocate as the file says.</para>
/// </remarks>
internal static class TorchCheckpoint
{
    /// <summary>The largest <c>data.pkl</c> read (a ResNet-50's is 30 KB; a large language model's a few MB).</summary>
    public const int MaxPickleBytes = 64 * 1024 * 1024;

    /// <summary>Keys a training checkpoint keeps its state dict under, in the order they are tried.</summary>
    public static readonly IReadOnlyList<string> WrapperKeys = ["state_dict", "model_state_dict", "model", "state_dict_ema"];

    /// <summary>Storages are copied into tensors this many bytes at a time.</summary>
    private const int ChunkBytes = 4 * 1024 * 1024;

    private const string Fix = "save the weights alone in Python, torch.save(model.state_dict(), 'weights.pth') " +
                               "(PyTorch 1.6 or later), or convert them to .safetensors";

    /// <summary>
    /// Reads the state dict of the checkpoint at <paramref name="path"/>. The tensors are created in the caller's
    /// dispose scope (none are left behind in it but the ones returned).
    /// </summary>
    /// <exception cref="HoldoutException">The file is missing, not a torch.save zip, refers to code, is malformed, or
    /// holds no state dict; the message says which and how to fix it.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        NativeRuntime.EnsureInitialized();
        if (!File.Exists(path))
            throw new HoldoutException($"The weights file '{path}' does not exist. Expected a PyTorch checkpoint (.pth, .pt) written by torch.save; check the path.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("PyTorch checkpoints are read on little-endian machines only.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> magic = stackalloc byte[4];
        var read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read == 4 && magic.SequenceEqual("PK\x03\x04"u8)) return ReadZip(path, stream);
        throw RefuseNonZip(path, stream);
    }

    private static Dictionary<string, Tensor> ReadZip(string path, FileStream stream)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw Malformed(path, $"it starts like a zip archive but its directory cannot be read ({e.Message})", e);
        }
        using (archive)
        {
            var pickles = archive.Entries.Where(e => IsTopLevelRecord(e.FullName, "data.pkl")).ToList();
            if (pickles.Count != 1)
                throw Malformed(path, pickles.Count == 0
                    ? "the zip archive has no NAME/data.pkl record, so it was not written by torch.save"
                    : $"the zip archive has {pickles.Count} data.pkl records ({string.Join(", ", pickles.Select(p => p.FullName))}); torch.save writes one");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            var byteOrder = archive.GetEntry(prefix + "byteorder");
            if (byteOrder is not null && ReadEntry(path, byteOrder, 64) is var order && !"little"u8.SequenceEqual(order.AsSpan().Trim("\r\n "u8)))
                throw Malformed(path, $"its tensors are stored with byte order '{System.Text.Encoding.ASCII.GetString(order).Trim()}'; only little-endian checkpoints are read");

            var pickle = ReadEntry(path, pickles[0], MaxPickleBytes);
            object? root;
            try
            {
                root = TorchPickle.Load(pickle, out var consumed);
                if (consumed != pickle.Length)
                    throw Malformed(path, $"{pickles[0].FullName} has {pickle.Length - consumed} bytes after the end of its pickle");
            }
            catch (TorchPickle.RefusedException e)
            {
                throw e.IsUnsafe ? Unsafe(path, $"{e.Message} (in {pickles[0].FullName})", e) : Malformed(path, $"{e.Message} (in {pickles[0].FullName})", e);
            }
            var stateDict = FindStateDict(path, root);
            return Materialise(path, archive, prefix, stateDict, stream.Length);
        }
    }

    /// <summary><c>NAME/file</c> with one folder level, as torch.save names its records.</summary>
    private static bool IsTopLevelRecord(string fullName, string file) =>
        fullName.EndsWith("/" + file, StringComparison.Ordinal) && fullName.IndexOf('/', StringComparison.Ordinal) == fullName.Length - file.Length - 1;

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, int limit)
    {
        if (entry.Length > limit)
            throw Malformed(path, $"{entry.FullName} has {entry.Length} bytes, more than the {limit} accepted");
        try
        {
            using var input = entry.Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = input.Read(chunk)) > 0)
            {
                if (buffer.Length + n > limit) throw Malformed(path, $"{entry.FullName} holds more than the {limit} bytes accepted");
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Malformed(path, $"{entry.FullName} cannot be read from the zip archive ({e.Message})", e);
        }
    }

    /// <summary>The state dict: the root if it is one, else the first wrapper key that holds one.</summary>
    private static TorchPickle.Dict FindStateDict(string path, object? root)
    {
        if (root is TorchPickle.Dict dict)
        {
            if (IsStateDict(dict)) return dict;
            foreach (var key in WrapperKeys)
            {
                if (dict.TryGet(key, out var inner) && inner is TorchPickle.Dict candidate && IsStateDict(candidate)) return candidate;
            }
        }
        throw new HoldoutException(
            $"The weights file '{path}' holds {Describe(root)}, not a state dict: tensors by name at its top level or under " +
            $"{string.Join(", ", WrapperKeys.Select(k => $"'{k}'"))}. Nothing in the file was executed. To use it, {Fix}.");
    }

    private static bool IsStateDict(TorchPickle.Dict dict) =>
        dict.Count > 0 && dict.Items.All(item => item.Key is string && item.Value is TorchPickle.TensorRef);

    private static string Describe(object? value)
    {
        if (value is TorchPickle.Dict dict)
        {
            if (dict.Count == 0) return "an empty dict";
            var keys = dict.Items.Take(8).Select(i => i.Key is string s ? $"'{s}'" : TorchPickle.TypeName(i.Key));
            var text = $"a dict with {dict.Count} entries ({string.Join(", ", keys)}{(dict.Count > 8 ? ", ..." : "")})";
            var odd = dict.Items.FirstOrDefault(i => i.Key is string && i.Value is not TorchPickle.TensorRef);
            return dict.Items.Any(i => i.Value is TorchPickle.TensorRef) && odd.Key is string name
                ? $"{text} whose entry '{name}' is a {TorchPickle.TypeName(odd.Value)}"
                : text;
        }
        return value switch
        {
            TorchPickle.TensorRef => "a single tensor",
            null => "None",
            _ => $"a {TorchPickle.TypeName(value)}",
        };
    }

    private static Dictionary<string, Tensor> Materialise(string path, ZipArchive archive, string prefix, TorchPickle.Dict stateDict, long fileLength)
    {
        var strip = stateDict.Items.All(i => ((string)i.Key!).StartsWith("module.", StringComparison.Ordinal));
        using var scope = NewDisposeScope();
        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in stateDict.Items)
        {
            var name = (string)key!;
            if (strip) name = name["module.".Length..];
            var reference = (TorchPickle.TensorRef)value!;
            if (!storages.TryGetValue(reference.Storage.Key, out var storage))
                storages[reference.Storage.Key] = storage = ReadStorage(path, archive, prefix, reference.Storage, fileLength);
            var tensor = storage.as_strided(reference.Shape, reference.Stride, reference.Offset);
            if (!tensor.is_contiguous()) tensor = tensor.contiguous();
            result[name] = tensor;
        }
        foreach (var tensor in result.Values) tensor.MoveToOuterDisposeScope();
        return result;
    }

    private static Tensor ReadStorage(string path, ZipArchive archive, string prefix, TorchPickle.StorageRef storage, long fileLength)
    {
        if (storage.Key.Length == 0 || !storage.Key.All(char.IsAsciiLetterOrDigit))
            throw Malformed(path, $"data.pkl names a storage '{storage.Key}'; torch.save names them with letters and digits");
        var recordName = $"{prefix}data/{storage.Key}";
        var entry = archive.GetEntry(recordName) ?? throw Malformed(path, $"the storage {recordName} that data.pkl refers to is not in the archive");
        var elementSize = TorchPickle.ElementSize(storage.DType);
        long bytes;
        try
        {
            bytes = checked(storage.Elements * elementSize);
        }
        catch (OverflowException e)
        {
            throw Malformed(path, $"storage {recordName} declares {storage.Elements} elements", e);
        }
        if (entry.Length != bytes)
            throw Malformed(path, $"storage {recordName} has {entry.Length} bytes, but data.pkl describes {storage.Elements} {storage.TypeName} elements ({bytes} bytes)");
        if (entry.CompressedLength != entry.Length || entry.Length > fileLength)
            throw Malformed(path, $"storage {recordName} is compressed ({entry.CompressedLength} bytes for {entry.Length}); torch.save stores tensor data uncompressed");

        var tensor = empty(storage.Elements, storage.DType);
        try
        {
            using var input = entry.Open();
            var perChunk = ChunkBytes / elementSize;
            for (long start = 0; start < storage.Elements; start += perChunk)
            {
                using var part = tensor.narrow(0, start, Math.Min(perChunk, storage.Elements - start));
                input.ReadExactly(part.bytes);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw Malformed(path, $"storage {recordName} cannot be read ({e.Message})", e);
        }
        return tensor;
    }

    /// <summary>A file that is not a zip archive: refused; a pickle is scanned first, to name what it would import.</summary>
    private static HoldoutException RefuseNonZip(string path, FileStream stream)
    {
        var head = new byte[(int)Math.Min(stream.Length, MaxPickleBytes)];
        stream.ReadExactly(head);
        var position = 0;
        // PyTorch's legacy format is four pickles (magic number, protocol, system info, the object) and the storages.
        for (int i = 0; i < 4 && position < head.Length; i++)
        {
            try
            {
                TorchPickle.Load(head.AsSpan(position), out var consumed);
                position += consumed;
            }
            catch (TorchPickle.RefusedException e) when (e.IsUnsafe)
            {
                return Unsafe(path, $"{e.Message} (the file is a plain pickle, not a torch.save zip archive)", e);
            }
            catch (TorchPickle.RefusedException)
            {
                break;
            }
        }
        var what = head.Length >= 9 && head[8] == (byte)'{'
            ? "a safetensors file, not a torch.save zip archive (pass it where .safetensors weights are read)"
            : head.Length > 0 && head[0] == 0x80
                ? "a pickle, not a zip archive: PyTorch's legacy format (torch.save before PyTorch 1.6, or with _use_new_zipfile_serialization=False) or a plain pickle"
                : "neither a torch.save zip archive nor a pickle";
        return new HoldoutException(
            $"The weights file '{path}' is {what}; Holdout reads PyTorch checkpoints written by torch.save in PyTorch 1.6 or " +
            "later. Nothing in the file was executed. Re-save it with torch.save in PyTorch >= 1.6 (if you trust the file: " +
            "torch.save(torch.load(path, weights_only=True), 'weights.pth')), or convert it to .safetensors.");
    }

    private static HoldoutException Unsafe(string path, string what, Exception inner) => new(
        $"The weights file '{path}' was refused: {what}. A saved state dict holds only tensors and plain containers; " +
        "loading this file with Python's torch.load (without weights_only=True) would import that and could run it. " +
        $"Nothing in the file was executed. If you trust where it came from, {Fix}.", inner);

    private static HoldoutException Malformed(string path, string what, Exception? inner = null)
    {
        var message = $"The weights file '{path}' is not a PyTorch checkpoint Holdout can read: {what}. Nothing in the file was executed. To use it, {Fix}.";
        return inner is null ? new HoldoutException(message) : new HoldoutException(message, inner);
    }
}
