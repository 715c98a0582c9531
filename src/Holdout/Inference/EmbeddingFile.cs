using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Holdout.Inference;

/// <summary>
/// Writes image embeddings (<see cref="Embedder"/>'s results) to a file, as <c>holdout embed --out</c> does; the
/// format follows the extension:
/// <list type="bullet">
/// <item><c>.npy</c>: a NumPy array (format version 1.0) of float32 little-endian values, N x D, one row per embedded
/// image in input order (<c>numpy.load</c> reads it), and beside it <see cref="PathsFile"/> (<c>feats.npy</c> →
/// <c>feats.paths.txt</c>): the image paths, one per line, in row order (UTF-8).</item>
/// <item><c>.jsonl</c>: one JSON line per embedded image, <c>{"path": ..., "features": [...]}</c>, in input order; each
/// float written in its shortest round-trip form, so parsing it as float32 gives the value computed (a value that is
/// not finite is written as <c>null</c>).</item>
/// </list>
/// Images that could not be read have no row. Each file is written atomically (a reader sees the old file or the
/// complete new one); rows are streamed to disk as they arrive, so memory does not grow with the number of images.
/// </summary>
public static class EmbeddingFile
{
    /// <summary>The NumPy array format's extension.</summary>
    public const string NumpyExtension = ".npy";

    /// <summary>The JSON-lines format's extension.</summary>
    public const string JsonLinesExtension = ".jsonl";

    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    /// <summary>
    /// Checks that <paramref name="path"/> ends in <c>.npy</c> or <c>.jsonl</c> (case-insensitive).
    /// </summary>
    /// <param name="path">The output file.</param>
    /// <exception cref="HoldoutException">It ends in neither; the message names <c>--out</c> and both.</exception>
    public static void ValidatePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!IsNumpy(path) && !IsJsonLines(path))
        {
            throw new HoldoutException($"--out '{path}' has an extension Holdout cannot write embeddings as. Expected a file ending in " +
                                       $"{NumpyExtension} (a float32 N x D NumPy array, with the image paths in a .paths.txt beside it) or {JsonLinesExtension} (one JSON line per image with its path and features).");
        }
    }

    /// <summary>
    /// The file that lists a <c>.npy</c> file's image paths in row order: the same name with <c>.paths.txt</c> in place
    /// of <c>.npy</c> (<c>out/feats.npy</c> → <c>out/feats.paths.txt</c>); null for a <c>.jsonl</c> file, whose lines
    /// hold their paths.
    /// </summary>
    /// <param name="path">The output file.</param>
    public static string? PathsFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return IsNumpy(path) ? Path.ChangeExtension(path, ".paths.txt") : null;
    }

    /// <summary>
    /// Writes the embedded images of <paramref name="embeddings"/> to <paramref name="path"/> in the format its
    /// extension names, reading the sequence once (lazily: rows go to disk as they arrive). Results without features
    /// (unreadable images) are skipped; report them from the sequence as it is read.
    /// </summary>
    /// <param name="path">A <c>.npy</c> or <c>.jsonl</c> file; its folder is created if needed.</param>
    /// <param name="embeddings">One result per image.</param>
    /// <returns>How many rows were written and their length.</returns>
    /// <exception cref="HoldoutException">The extension is neither, no image had features (nothing is written then),
    /// the rows differ in length, or a path cannot go on one line of the paths file.</exception>
    public static (int Rows, int Dimension) Write(string path, IEnumerable<ImageEmbedding> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ValidatePath(path);
        var numpy = IsNumpy(path);
        var rows = 0;
        var dimension = -1;
        var paths = new List<string>();
        void Check(ImageEmbedding embedding)
        {
            if (dimension < 0) dimension = embedding.Features!.Length;
            if (embedding.Features!.Length != dimension)
                throw new HoldoutException($"The features of '{embedding.Path}' have {embedding.Features.Length} values, those before it {dimension}: one file holds one model's features.");
            if (numpy && embedding.Path.AsSpan().IndexOfAny('\n', '\r') >= 0)
                throw new HoldoutException($"The image path '{embedding.Path}' holds a line break, so it cannot be one line of {PathsFile(path)}. Write {JsonLinesExtension} instead, or rename the file.");
            rows++;
            if (numpy) paths.Add(embedding.Path);
        }
        try
        {
            var embedded = embeddings.Where(e => e.Succeeded);
            if (numpy)
            {
                // The array, then its paths, each replaced whole (the paths are known only once the array is written).
                AtomicFile.Write(path, stream => WriteNumpy(stream, embedded, Check, () => (rows, dimension)));
                AtomicFile.WriteAllText(PathsFile(path)!, string.Concat(paths.Select(p => p + "\n")));
            }
            else
            {
                AtomicFile.Write(path, stream => WriteJsonLines(stream, embedded, Check, () => rows));
            }
        }
        catch (NothingEmbedded)
        {
            throw new HoldoutException($"No image could be embedded, so '{path}' was not written.");
        }
        return (rows, dimension);
    }

    private static void WriteNumpy(Stream stream, IEnumerable<ImageEmbedding> embeddings, Action<ImageEmbedding> check, Func<(int Rows, int Dimension)> shape)
    {
        // The shape is known only at the end: a header long enough for any shape is written first, then overwritten
        // with the real one, padded to the same length (NumPy reads any header padded with spaces to a multiple of 64).
        var reserved = NumpyHeader(long.MaxValue, int.MaxValue, 0).Length;
        stream.Write(new byte[reserved]);
        var buffer = Array.Empty<byte>();
        foreach (var embedding in embeddings)
        {
            check(embedding);
            var features = embedding.Features!;
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(features.AsSpan()));
                continue;
            }
            if (buffer.Length != 4 * features.Length) buffer = new byte[4 * features.Length];
            for (var i = 0; i < features.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), features[i]);
            stream.Write(buffer);
        }
        var (rows, dimension) = shape();
        if (rows == 0) throw new NothingEmbedded();
        stream.Seek(0, SeekOrigin.Begin);
        stream.Write(NumpyHeader(rows, dimension, reserved));
        stream.Seek(0, SeekOrigin.End);
    }

    /// <summary>
    /// The NumPy format 1.0 header of a float32 little-endian C-order array <paramref name="rows"/> x
    /// <paramref name="columns"/>: the magic string, the version, the header length, then the dictionary padded with
    /// spaces and ended with a newline so that the whole is a multiple of 64 bytes and at least <paramref name="length"/>.
    /// </summary>
    internal static byte[] NumpyHeader(long rows, int columns, int length)
    {
        var dictionary = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        var total = NpyMagic.Length + 2 + dictionary.Length + 1;
        total = Math.Max(length, (total + 63) / 64 * 64);
        var text = dictionary.PadRight(total - NpyMagic.Length - 2 - 1) + "\n";
        var header = new byte[total];
        NpyMagic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(NpyMagic.Length), checked((ushort)text.Length));
        Encoding.ASCII.GetBytes(text, header.AsSpan(NpyMagic.Length + 2));
        return header;
    }

    private static void WriteJsonLines(Stream stream, IEnumerable<ImageEmbedding> embeddings, Action<ImageEmbedding> check, Func<int> rows)
    {
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var writer = new Utf8JsonWriter(stream, options))
        {
            foreach (var embedding in embeddings)
            {
                check(embedding);
                writer.Reset();
                writer.WriteStartObject();
                writer.WriteString("path", embedding.Path);
                writer.WriteStartArray("features");
                // Utf8JsonWriter writes a float in its shortest round-trip form; JSON has no NaN or infinity.
                foreach (var value in embedding.Features!)
                {
                    if (float.IsFinite(value)) writer.WriteNumberValue(value);
                    else writer.WriteNullValue();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.Flush();
                stream.WriteByte((byte)'\n');
            }
        }
        if (rows() == 0) throw new NothingEmbedded();
    }

    private static bool IsNumpy(string path) => string.Equals(Path.GetExtension(path), NumpyExtension, StringComparison.OrdinalIgnoreCase);

    private static bool IsJsonLines(string path) => string.Equals(Path.GetExtension(path), JsonLinesExtension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Ends an atomic write that would hold no row, so that nothing replaces the target.</summary>
    private sealed class NothingEmbedded : Exception;
}
