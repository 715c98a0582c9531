using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Holdout.Inference;

namespace Holdout.Tests.Inference;

public sealed class EmbeddingFileTests
{
    /// <summary>
    /// Reads a NumPy format 1.0 file of float32 little-endian values, checking every byte of the header against the
    /// format (magic, version, length, the dictionary, padding to 64 bytes, the newline).
    /// </summary>
    internal static (long Rows, int Columns, float[] Values) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], bytes[..8]);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var dataStart = 10 + length;
        Assert.True(dataStart % 64 == 0, $"the header ends at byte {dataStart}, not a multiple of 64");
        var header = Encoding.ASCII.GetString(bytes, 10, length);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        var dictionary = header.TrimEnd('\n').TrimEnd(' ');
        var match = System.Text.RegularExpressions.Regex.Match(dictionary, @"^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\), \}$");
        Assert.True(match.Success, $"unexpected header: {dictionary}");
        var rows = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var columns = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(rows * columns * 4, bytes.Length - dataStart);
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + 4 * i));
        return (rows, columns, values);
    }

    /// <summary>The JSON lines of a .jsonl file: each line's path and features (null read as NaN).</summary>
    internal static List<(string Path, float[] Features)> ReadJsonLines(string path) =>
        [.. File.ReadAllLines(path).Select(line =>
        {
            var node = JsonNode.Parse(line)!.AsObject();
            Assert.Equal(["path", "features"], node.Select(p => p.Key));
            return (node["path"]!.GetValue<string>(), node["features"]!.AsArray().Select(v => v is null ? float.NaN : v.GetValue<float>()).ToArray());
        })];

    private static readonly float[][] Rows =
    [
        [0.1f, -2.5f, 3.4028235E+38f, 1.17549435E-38f],
        [1e-45f, 123456.79f, -0f, 0.33333334f],
    ];

    [Fact]
    public void Should_write_an_npy_array_with_a_64_byte_header_and_the_paths_beside_it_skipping_unreadable_images()
    {
        // Given two embedded images around one that could not be read
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "out", "feats.npy");
        ImageEmbedding[] embeddings = [new("a.png", Rows[0], null), new("broken.jpg", null, "truncated"), new("dir/b.png", Rows[1], null)];

        // When they are written as .npy
        var (rows, dimension) = EmbeddingFile.Write(output, embeddings);

        // Then the array is 2 x 4 float32 with exactly the values given, and feats.paths.txt lists the two paths in row order
        Assert.Equal((2, 4), (rows, dimension));
        var (readRows, columns, values) = ReadNpy(output);
        Assert.Equal((2L, 4), (readRows, columns));
        Assert.Equal(Rows.SelectMany(r => r), values);
        Assert.Equal(Path.Combine(temp.Path, "out", "feats.paths.txt"), EmbeddingFile.PathsFile(output));
        Assert.Equal("a.png\ndir/b.png\n", File.ReadAllText(EmbeddingFile.PathsFile(output)!));
        Assert.Equal(["feats.npy", "feats.paths.txt"], Directory.GetFiles(Path.GetDirectoryName(output)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(5L, 512)]
    [InlineData(long.MaxValue, int.MaxValue)]
    public void Should_pad_the_npy_header_to_a_multiple_of_64_bytes_ending_in_a_newline(long rows, int columns)
    {
        // Given a shape; When its header is made, at its own length and at a longer reserved one
        foreach (var reserved in new[] { 0, 256 })
        {
            var header = EmbeddingFile.NumpyHeader(rows, columns, reserved);

            // Then it is a multiple of 64 bytes (at least the reserved length), its length field counts the rest, and it ends in a newline
            Assert.Equal(0, header.Length % 64);
            Assert.True(header.Length >= reserved);
            Assert.Equal(header.Length - 10, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8)));
            Assert.Equal((byte)'\n', header[^1]);
            Assert.StartsWith($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}", Encoding.ASCII.GetString(header, 10, header.Length - 10), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_write_json_lines_whose_floats_read_back_exactly()
    {
        // Given two embedded images (extreme, subnormal and repeating float32 values; a path with quotes and non-ASCII letters) and one with a NaN
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "feats.jsonl");
        var nan = new[] { 1f, float.NaN, float.PositiveInfinity, 2f };
        ImageEmbedding[] embeddings = [new("a.png", Rows[0], null), new("broken.jpg", null, "truncated"), new("dir/\"é\".png", Rows[1], null), new("n.png", nan, null)];

        // When they are written as .jsonl
        var (rows, dimension) = EmbeddingFile.Write(output, embeddings);

        // Then there is one line per embedded image, each float parses back to the very float32 written, and a non-finite one is null
        Assert.Equal((3, 4), (rows, dimension));
        var lines = ReadJsonLines(output);
        Assert.Equal(["a.png", "dir/\"é\".png", "n.png"], lines.Select(l => l.Path));
        Assert.Equal(Rows[0], lines[0].Features);
        Assert.Equal(Rows[1].Select(BitConverter.SingleToInt32Bits), lines[1].Features.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal([1f, float.NaN, float.NaN, 2f], lines[2].Features);
        Assert.Contains("é", File.ReadAllText(output), StringComparison.Ordinal);
        Assert.Null(EmbeddingFile.PathsFile(output));
    }

    [Theory]
    [InlineData("feats.csv")]
    [InlineData("feats")]
    [InlineData("feats.npz")]
    public void Should_refuse_another_extension_naming_out_and_the_two_formats(string name)
    {
        var error = Assert.Throws<HoldoutException>(() => EmbeddingFile.Write(name, [new ImageEmbedding("a.png", [1f], null)]));
        Assert.Contains("--out", error.Message, StringComparison.Ordinal);
        Assert.Contains(".npy", error.Message, StringComparison.Ordinal);
        Assert.Contains(".jsonl", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("feats.npy")]
    [InlineData("feats.jsonl")]
    public void Should_leave_the_previous_file_when_no_image_could_be_embedded(string name)
    {
        // Given an earlier output file
        using var temp = new TempFolder();
        var output = temp.Write(name, "earlier"u8.ToArray());

        // When a stream of unreadable images is written over it
        var error = Assert.Throws<HoldoutException>(() => EmbeddingFile.Write(output, [new ImageEmbedding("a.jpg", null, "truncated")]));

        // Then it fails saying so, and the earlier file is untouched, with no temporary file left
        Assert.Contains("No image could be embedded", error.Message, StringComparison.Ordinal);
        Assert.Equal("earlier", File.ReadAllText(output));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Should_refuse_rows_of_different_lengths()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<HoldoutException>(() => EmbeddingFile.Write(Path.Combine(temp.Path, "f.npy"),
            [new ImageEmbedding("a.png", [1f, 2f], null), new ImageEmbedding("b.png", [1f], null)]));
        Assert.Contains("b.png", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
