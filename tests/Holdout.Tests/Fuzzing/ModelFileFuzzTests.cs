using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Models.Weights;
using Holdout.Native;

namespace Holdout.Tests.Fuzzing;

/// <summary>
/// Hostile weight files and model bundles: safetensors headers that lie (lengths, shapes, offsets, dtypes, names,
/// random JSON), seeded byte mutations of a real bundle, and bundles whose description is hostile but whose content
/// hash was recomputed (anyone can do that), so the checks behind the hash are what is tested. Each must load or be
/// refused with a <see cref="HoldoutException"/> naming the file: no crash, no hang, no allocation the file does
/// not justify.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class ModelFileFuzzTests
{
    private const long MemoryBound = 512L << 20;

    public ModelFileFuzzTests() => NativeRuntime.EnsureInitialized();

    /// <summary>Opens and reads <paramref name="path"/>; only a HoldoutException naming it may come out.</summary>
    private static void OpenOrRefuse(string path, Action<string> read)
    {
        try
        {
            read(path);
        }
        catch (HoldoutException e)
        {
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Reading <paramref name="path"/> must end in a HoldoutException that names it, within the fuzz bounds.</summary>
    private static void AssertRefusedNamingTheFile(string kind, string path, Action<string> read) =>
        FuzzHarness.RunAll([(kind, () =>
        {
            var error = Assert.Throws<HoldoutException>(() => read(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        })], MemoryBound);

    private static void ReadSafeTensors(string path)
    {
        var file = SafeTensorsFile.Open(path);
        foreach (var tensor in file.ReadAll().Values)
        {
            tensor.Dispose();
        }
    }

    private static void LoadBundle(string path) => ModelBundle.Load(path).Model.Dispose();

    /// <summary>A safetensors file: an 8-byte header length (the real one unless <paramref name="claimedLength"/>), the header, the data.</summary>
    private static byte[] SafeTensors(string header, int dataBytes = 16, ulong? claimedLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes(claimedLength ?? (ulong)json.Length), .. json, .. new byte[dataBytes]];
    }

    public static TheoryData<string, byte[]> HostileHeaders() => new()
    {
        { "header length past the end", SafeTensors("{}", 0, 1000) },
        { "header length zero", SafeTensors("{}", 0, 0) },
        { "header length 2^63", SafeTensors("{}", 0, 1UL << 63) },
        { "header length cuts the JSON", SafeTensors("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16, 20) },
        { "file of 5 bytes", [1, 2, 3, 4, 5] },
        { "not JSON", SafeTensors("this is not json") },
        { "JSON array", SafeTensors("[1,2,3]") },
        { "deep nesting", SafeTensors(string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200)) },
        { "invalid UTF-8", [.. BitConverter.GetBytes(4UL), 0x7B, 0xFF, 0xFE, 0x7D] },
        { "invalid UTF-8 in a name", [.. BitConverter.GetBytes(9UL), 0x7B, 0x22, 0x77, 0xFF, 0x22, 0x3A, 0x7B, 0x7D, 0x7D] },
        { "huge shape", SafeTensors("""{"w":{"dtype":"F32","shape":[1000000000000,1000000000000],"data_offsets":[0,16]}}""") },
        { "shape product overflows", SafeTensors("""{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,16]}}""") },
        { "negative dimension", SafeTensors("""{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}""") },
        { "fractional dimension", SafeTensors("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]}}""") },
        { "dimension as text", SafeTensors("""{"w":{"dtype":"F32","shape":["4"],"data_offsets":[0,16]}}""") },
        { "offsets past the end", SafeTensors("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1000000000000]}}""") },
        { "offsets reversed", SafeTensors("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}}""") },
        { "offsets negative", SafeTensors("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[-16,0]}}""") },
        { "three offsets", SafeTensors("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}""") },
        { "overlapping ranges", SafeTensors("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}""") },
        { "gap between ranges", SafeTensors("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""") },
        { "unknown dtype", SafeTensors("""{"w":{"dtype":"F8_E4M3","shape":[16],"data_offsets":[0,16]}}""") },
        { "dtype as number", SafeTensors("""{"w":{"dtype":4,"shape":[4],"data_offsets":[0,16]}}""") },
        { "size disagrees with shape", SafeTensors("""{"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}}""") },
        { "duplicate names", SafeTensors("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""") },
        { "metadata not an object", SafeTensors("""{"__metadata__":[1,2],"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""") },
        { "metadata value not text", SafeTensors("""{"__metadata__":{"format":7},"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""") },
        { "entry not an object", SafeTensors("""{"w":[0,16]}""") },
        { "trailing bytes after the tensors", SafeTensors("""{"w":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}""") },
        { "NaN in shape", SafeTensors("""{"w":{"dtype":"U8","shape":[NaN],"data_offsets":[0,16]}}""") },
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public void Should_refuse_a_hostile_safetensors_header_naming_the_file(string kind, byte[] bytes)
    {
        // Given a weights file built to mislead the reader
        using var folder = new TempFolder();
        var path = folder.Write("weights.safetensors", bytes);

        // When it is opened and read; Then it is refused with a HoldoutException that names it
        AssertRefusedNamingTheFile(kind, path, ReadSafeTensors);
    }

    [Fact]
    public void Should_open_or_refuse_random_json_headers()
    {
        // Given 300 seeded random headers: arbitrary JSON, and tensor entries with random dtypes, shapes and offsets
        using var folder = new TempFolder();
        var cases = Enumerable.Range(0, 300).Select(i =>
        {
            var random = new Random(9000 + i);
            var header = i % 3 == 0 ? RandomJson(random, 0)?.ToJsonString() ?? "null" : RandomEntries(random).ToJsonString();
            var path = folder.Write($"random-{i}.safetensors", SafeTensors(header, random.Next(0, 64)));
            return ($"random header {i}", (Action)(() => OpenOrRefuse(path, ReadSafeTensors)));
        });

        // When each is opened and read; Then each loads or is refused naming the file
        FuzzHarness.RunAll(cases, MemoryBound);
    }

    [Fact]
    public void Should_refuse_seeded_byte_mutations_of_a_model_bundle()
    {
        // Given a real bundle of a small model and 80 seeded mutants of it, each different from it
        using var folder = new TempFolder();
        var bundle = SmallBundle(folder);
        var original = File.ReadAllBytes(bundle);
        var mutants = Enumerable.Range(0, 80).Select(i => (Name: $"bundle mutant {i}", Bytes: Mutator.Mutate(original, i))).ToList();
        Assert.All(mutants, m => Assert.False(m.Bytes.AsSpan().SequenceEqual(original), $"{m.Name} equals the bundle"));
        var paths = mutants.Select((m, i) => folder.Write($"mutant-{i}.holdout", m.Bytes)).ToList();
        var reference = ModelBundle.Load(bundle);
        using var referenceModel = reference.Model;
        var referenceState = referenceModel.state_dict();
        int refused = 0, same = 0;

        // When each is loaded
        var ran = FuzzHarness.RunAll(mutants.Select((m, i) => (m.Name, (Action)(() =>
        {
            LoadedBundle loaded;
            try
            {
                loaded = ModelBundle.Load(paths[i]);
            }
            catch (HoldoutException e)
            {
                Assert.Contains(paths[i], e.Message, StringComparison.Ordinal);
                Interlocked.Increment(ref refused);
                return;
            }

            // a mutant that loads must be the same model: a change that slips past the checks is a silent corruption
            using (loaded.Model)
            {
                Assert.Equal(reference.Metadata.ToJsonString(), loaded.Metadata.ToJsonString());
                var state = loaded.Model.state_dict();
                Assert.Equal(referenceState.Keys.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
                foreach (var (name, tensor) in referenceState)
                {
                    Assert.True(tensor.shape.SequenceEqual(state[name].shape) && tensor.eq(state[name]).all().item<bool>(), $"{m.Name} loaded, but with a different {name}");
                }
            }
            Interlocked.Increment(ref same);
        }))), MemoryBound);

        // Then every mutant was tried, each was refused naming the file or loaded as exactly the original model, and
        // the content hash catches the changes: measured 80 of 80 refused (seeds 0..79)
        Assert.Equal(80, ran);
        Assert.Equal(80, refused + same);
        Assert.True(refused >= 76, $"only {refused} of 80 mutants were refused ({same} loaded as the original model)");
    }

    public static TheoryData<string, string, string> HostileDescriptions() => new()
    {
        // (what, JSON path in the description, new value as JSON)
        { "format version as text", "format_version", "\"one\"" },
        { "future format version", "format_version", "99" },
        { "unknown architecture", "options.architecture", "\"VisionTransformer\"" },
        { "ResNet claimed without a layout", "options.architecture", "\"ResNet18\"" },
        { "no classes", "options.class_names", "[]" },
        { "class names not text", "options.class_names", "[1,2]" },
        { "a thousand classes", "options.class_names", "[" + string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"c{i}\"")) + "]" },
        { "huge input size", "options.image_size", "1000000" },
        { "negative input size", "options.image_size", "-32" },
        { "zero input size", "options.image_size", "0" },
        { "input size beyond int", "options.image_size", "1e30" },
        { "dropout above one", "options.head.dropout", "7.5" },
        { "unknown pooling", "options.head.pooling", "\"Median\"" },
        { "preprocessing with one mean", "spec.preprocessing.mean", "[0.5]" },
        { "preprocessing with zero std", "spec.preprocessing.std", "[0,0,0]" },
        { "preprocessing input size differs", "spec.preprocessing.input_size", "100000" },
        { "evaluation size for a flattening head", "spec.preprocessing.eval_size", "24" },
        { "huge evaluation size", "spec.preprocessing.eval_size", "1000000" },
        { "evaluation size as text", "spec.preprocessing.eval_size", "\"big\"" },
        { "negative feature dimension", "spec.feature_dimension", "-1" },
        { "unknown batch-norm policy", "frozen_batch_norm", "\"Sometimes\"" },
        { "description not an object", "", "[]" },
    };

    [Theory]
    [MemberData(nameof(HostileDescriptions))]
    public void Should_refuse_a_bundle_whose_hashed_description_is_hostile(string kind, string field, string value)
    {
        // Given a real bundle whose description was changed and its content hash recomputed to match
        using var folder = new TempFolder();
        var path = Rewrite(SmallBundle(folder), field, JsonNode.Parse(value));

        // When it is loaded; Then it is refused with a HoldoutException that names it (no crash, no huge allocation)
        AssertRefusedNamingTheFile(kind, path, LoadBundle);
    }

    public static TheoryData<string, string, string> HostileResNetDescriptions() => new()
    {
        { "a million blocks", "layout.blocks", "[1000000,2,2,2]" },
        { "five stages", "layout.blocks", "[2,2,2,2,2]" },
        { "negative blocks", "layout.blocks", "[-1,2,2,2]" },
        { "huge widths", "layout.widths", "[64,128,256,1000000]" },
        { "huge stem", "layout.stem_width", "100000" },
        { "bottleneck claimed for basic blocks", "layout.bottleneck", "true" },
        { "flatten head with a huge input", "options.head.pooling", "\"Flatten\"" },
    };

    [Theory]
    [MemberData(nameof(HostileResNetDescriptions))]
    public void Should_refuse_a_resnet_bundle_whose_hashed_layout_is_hostile(string kind, string field, string value)
    {
        // Given a real ResNet-18 bundle whose layout (or head) was changed and its content hash recomputed
        using var folder = new TempFolder();
        var bundle = Path.Combine(folder.Path, "resnet.holdout");
        using (var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.NoWeights)))
        {
            ModelBundle.Save(bundle, model);
        }
        var path = Rewrite(bundle, field, JsonNode.Parse(value));
        if (kind.StartsWith("flatten", StringComparison.Ordinal))
        {
            path = Rewrite(path, "options.image_size", JsonNode.Parse("1000000"));
        }

        // When it is loaded; Then it is refused naming the file, before anything of the claimed size is built
        AssertRefusedNamingTheFile(kind, path, LoadBundle);
    }

    private static string SmallBundle(TempFolder folder)
    {
        var path = Path.Combine(folder.Path, "small.holdout");
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, ["a", "b"], 16, ModelOptions.NoWeights));
        ModelBundle.Save(path, model);
        return path;
    }

    /// <summary>
    /// Writes a copy of <paramref name="bundle"/> with one description field replaced (dotted path; empty = the whole
    /// description) and the content hash recomputed as ModelBundle documents it.
    /// </summary>
    private static string Rewrite(string bundle, string field, JsonNode? value)
    {
        var file = SafeTensorsFile.Open(bundle);
        var description = JsonNode.Parse(file.Metadata["holdout"]);
        if (field.Length == 0)
        {
            description = value;
        }
        else
        {
            var parts = field.Split('.');
            var node = description!;
            foreach (var part in parts[..^1])
            {
                node = node[part]!;
            }
            node[parts[^1]] = value;
        }
        var text = description!.ToJsonString();
        var bytes = File.ReadAllBytes(bundle);
        var tensors = file.Entries.Select(e => (e, bytes.AsSpan((int)(file.DataStart + e.Begin), (int)(e.End - e.Begin)).ToArray())).ToList();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        sha.AppendData(Encoding.UTF8.GetBytes(string.Concat(file.Entries.Select(e => $"{e.Name}\n{e.DType}\n{string.Join(',', e.Shape)}\n{e.Begin}\n{e.End}\n"))));
        foreach (var (_, data) in tensors)
        {
            sha.AppendData(data);
        }
        var metadata = new Dictionary<string, string>(file.Metadata)
        {
            ["holdout"] = text,
            ["content_sha256"] = Convert.ToHexStringLower(sha.GetHashAndReset()),
        };
        var path = Path.Combine(Path.GetDirectoryName(bundle)!, $"rewritten-{Guid.NewGuid():N}.holdout");
        using (var stream = File.Create(path))
        {
            SafeTensorsFile.Write(stream, tensors, metadata);
        }
        return path;
    }

    private static JsonNode? RandomJson(Random random, int depth) => random.Next(depth > 4 ? 4 : 7) switch
    {
        0 => JsonValue.Create(random.Next(-5, 5) * Math.Pow(10, random.Next(0, 20))),
        1 => JsonValue.Create(new string('x', random.Next(0, 8))),
        2 => JsonValue.Create(random.Next(2) == 0),
        3 => null,
        4 or 5 => new JsonObject(Enumerable.Range(0, random.Next(0, 4)).Select(k => KeyValuePair.Create(
            k == 0 && random.Next(3) == 0 ? "__metadata__" : $"k{k}", RandomJson(random, depth + 1)))),
        _ => new JsonArray([.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomJson(random, depth + 1))]),
    };

    private static JsonObject RandomEntries(Random random)
    {
        string[] dtypes = ["F32", "F64", "F16", "BF16", "I64", "I32", "U8", "F8", "bool", ""];
        long[] sizes = [0, 1, 2, 3, 4, 8, 16, -1, 1L << 40, long.MaxValue];
        var header = new JsonObject();
        for (var e = random.Next(0, 4); e > 0; e--)
        {
            var shape = new JsonArray([.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => (JsonNode)JsonValue.Create(sizes[random.Next(sizes.Length)]))]);
            long begin = sizes[random.Next(sizes.Length)], end = sizes[random.Next(sizes.Length)];
            header[$"t{e}"] = new JsonObject
            {
                ["dtype"] = dtypes[random.Next(dtypes.Length)],
                ["shape"] = shape,
                ["data_offsets"] = new JsonArray(begin, end),
            };
        }
        return header;
    }
}
