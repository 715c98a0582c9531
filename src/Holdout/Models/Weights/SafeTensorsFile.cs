using Holdout.Native;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Models.Weights;

/// <summary>
/// A strict reader and a writer for the safetensors format (8-byte little-endian header length, a UTF-8 JSON header
/// mapping names to dtype, shape and data offsets plus an optional <c>__metadata__</c> string map, then the raw
/// little-endian tensor bytes). The reader validates everything against the file size before it allocates: header
/// length, JSON, dtypes, shapes, that offsets cover the data section exactly once, and that each byte range matches
/// its dtype and shape. A malformed file is a <see cref="HoldoutException"/> naming the file and the problem.
/// </summary>
internal sealed class SafeTensorsFile(string path, long dataStart, byte[] headerBytes, IReadOnlyList<SafeTensorsEntry> entries,
    IReadOnlyDictionary<string, string> metadata)
{
    /// <summary>The largest header accepted (the format's own limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private static readonly Dictionary<string, int> DTypeSizes = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["U8"] = 1,
    };

    /// <summary>The file read.</summary>
    public string Path { get; } = path;

    /// <summary>Offset of the data section in the file.</summary>
    public long DataStart { get; } = dataStart;

    /// <summary>The raw JSON header.</summary>
    public byte[] HeaderBytes { get; } = headerBytes;

    /// <summary>Tensors in data order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; } = entries;

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    /// <summary>Reads and validates the header of <paramref name="path"/>.</summary>
    /// <exception cref="HoldoutException">The file is missing, truncated or malformed.</exception>
    public static SafeTensorsFile Open(string path)
    {
        NativeRuntime.EnsureInitialized();
        if (!File.Exists(path))
            throw new HoldoutException($"The weights file '{path}' does not exist. Expected a .safetensors file; check the path.");
        using var stream = File.OpenRead(path);
        var fileLength = stream.Length;
        if (fileLength < 8) Fail(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength < 2 || headerLength > (ulong)MaxHeaderBytes || headerLength > (ulong)(fileLength - 8))
            Fail(path, $"the header length is {headerLength} bytes but the file has {fileLength - 8} bytes after it (and the limit is {MaxHeaderBytes})");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;

        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            // JsonDocument accepts invalid UTF-8 inside strings and only fails when a string is read.
            Fail(path, "the header is not valid UTF-8 text");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            Fail(path, $"the header is not valid JSON ({e.Message})");
            throw;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) Fail(path, "the header is not a JSON object");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>();
            var names = new HashSet<string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) Fail(path, $"the name '{property.Name}' appears twice");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) Fail(path, "__metadata__ is not an object");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String) Fail(path, $"__metadata__ value '{item.Name}' is not a string");
                        metadata[item.Name] = item.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ReadEntry(path, property, dataLength));
            }
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long position = 0;
            foreach (var entry in entries)
            {
                if (entry.Begin != position)
                    Fail(path, $"tensor '{entry.Name}' starts at byte {entry.Begin} of the data section, expected {position} (ranges must cover the data exactly once, without gaps or overlaps)");
                position = entry.End;
            }
            if (position != dataLength)
                Fail(path, $"the tensors cover {position} bytes but the data section has {dataLength} (the file is truncated or has trailing bytes)");
            return new SafeTensorsFile(path, dataStart, header, entries, metadata);
        }
    }

    private static SafeTensorsEntry ReadEntry(string path, JsonProperty property, long dataLength)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object) Fail(path, $"entry '{property.Name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            Fail(path, $"tensor '{property.Name}' has no dtype");
        var dtype = dtypeElement.GetString()!;
        if (!DTypeSizes.TryGetValue(dtype, out var elementSize))
            Fail(path, $"tensor '{property.Name}' has dtype '{dtype}'; supported: {string.Join(", ", DTypeSizes.Keys)}");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            Fail(path, $"tensor '{property.Name}' has no shape array");
        var shape = new List<long>();
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0 || d > dataLength)
                Fail(path, $"tensor '{property.Name}' has an invalid dimension {dim.GetRawText()} (must be a whole number no larger than the data section)");
            shape.Add(dim.GetInt64());
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            Fail(path, $"tensor '{property.Name}' has no [begin, end] data_offsets");
        long begin = -1, end = -1;
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number ||
            !offsets[0].TryGetInt64(out begin) || !offsets[1].TryGetInt64(out end) || begin < 0 || end < begin)
            Fail(path, $"tensor '{property.Name}' has invalid data_offsets {offsets.GetRawText()}");
        if (end > dataLength)
            Fail(path, $"tensor '{property.Name}' ends at byte {end} but the data section has only {dataLength} bytes (the file is truncated)");
        long bytes = elementSize;
        foreach (var d in shape)
        {
            if (d != 0 && bytes > dataLength / d)
                Fail(path, $"tensor '{property.Name}' declares shape [{string.Join(',', shape)}], larger than the whole file");
            bytes *= d;
        }
        if (bytes != end - begin)
            Fail(path, $"tensor '{property.Name}' ({dtype} [{string.Join(',', shape)}]) needs {bytes} bytes but its offsets span {end - begin}");
        return new SafeTensorsEntry(property.Name, dtype, shape.ToArray(), begin, end);
    }

    /// <summary>Reads one tensor (float dtypes become float32; integers keep their type).</summary>
    public Tensor ReadTensor(SafeTensorsEntry entry)
    {
        var raw = new byte[entry.End - entry.Begin];
        using (var stream = File.OpenRead(Path))
        {
            stream.Seek(DataStart + entry.Begin, SeekOrigin.Begin);
            stream.ReadExactly(raw);
        }
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian.");
        return entry.DType switch
        {
            "F32" => tensor(MemoryMarshal.Cast<byte, float>(raw).ToArray(), entry.Shape),
            "F64" => tensor(MemoryMarshal.Cast<byte, double>(raw).ToArray().Select(v => (float)v).ToArray(), entry.Shape),
            "F16" => tensor(MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(v => (float)v).ToArray(), entry.Shape),
            "BF16" => tensor(MemoryMarshal.Cast<byte, ushort>(raw).ToArray().Select(v => BitConverter.Int32BitsToSingle(v << 16)).ToArray(), entry.Shape),
            "I64" => tensor(MemoryMarshal.Cast<byte, long>(raw).ToArray(), entry.Shape),
            "I32" => tensor(MemoryMarshal.Cast<byte, int>(raw).ToArray(), entry.Shape),
            "U8" => tensor(raw, entry.Shape),
            _ => throw new InvalidOperationException($"unsupported dtype {entry.DType}"),
        };
    }

    /// <summary>Reads every tensor, by name.</summary>
    public Dictionary<string, Tensor> ReadAll() => Entries.ToDictionary(e => e.Name, ReadTensor);

    /// <summary>Turns tensors (float32, float64, int64, int32 or uint8) into the entries and bytes they are written as.</summary>
    public static IReadOnlyList<(SafeTensorsEntry Entry, byte[] Bytes)> Serialise(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var result = new List<(SafeTensorsEntry, byte[])>();
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            var (dtype, bytes) = Bytes(t);
            result.Add((new SafeTensorsEntry(name, dtype, t.shape, offset, offset + bytes.Length), bytes));
            offset += bytes.Length;
        }
        return result;
    }

    /// <summary>
    /// Writes serialised tensors (from <see cref="Serialise"/>, in that order) and metadata in the safetensors
    /// format. The header is padded with spaces to a multiple of 8 bytes.
    /// </summary>
    public static void Write(Stream output, IReadOnlyList<(SafeTensorsEntry Entry, byte[] Bytes)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var (entry, _) in tensors)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (var d in entry.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var header = buffer.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (ulong)padded);
        output.Write(length);
        output.Write(header);
        for (int i = header.Length; i < padded; i++) output.WriteByte((byte)' ');
        foreach (var (_, bytes) in tensors) output.Write(bytes);
    }

    private static (string DType, byte[] Bytes) Bytes(Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        return c.dtype switch
        {
            ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes<float>(c.data<float>().ToArray()).ToArray()),
            ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes<double>(c.data<double>().ToArray()).ToArray()),
            ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes<long>(c.data<long>().ToArray()).ToArray()),
            ScalarType.Int32 => ("I32", MemoryMarshal.AsBytes<int>(c.data<int>().ToArray()).ToArray()),
            ScalarType.Byte => ("U8", c.data<byte>().ToArray()),
            _ => throw new ArgumentException($"cannot write dtype {c.dtype} to safetensors", nameof(t)),
        };
    }

    private static void Fail(string path, string what) => throw new HoldoutException(
        $"The file '{path}' is not a valid safetensors file: {what}. Expected a file written by PyTorch's " +
        "safetensors (or a model bundle written by Holdout); re-export, re-download or re-save it.");
}
