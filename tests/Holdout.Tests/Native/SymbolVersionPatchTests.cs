using System.Buffers.Binary;
using Holdout.Native;

namespace Holdout.Tests.Native;

[Collection(NativeCollection.Name)]
public sealed class SymbolVersionPatchTests
{
    private static string NativeDirectory => NativeRuntime.FindNativeDirectory()
        ?? throw new InvalidOperationException("the test output has no runtimes/<rid>/native folder");

    private static IReadOnlySet<string>? SystemVersions(string library)
    {
        foreach (var folder in new[] { NativeDirectory, "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib" })
        {
            var path = Path.Combine(folder, library);
            if (File.Exists(path)) return SymbolVersionPatch.ReadDefinedVersions(path);
        }
        return null;
    }

    [Fact]
    public void Should_flip_only_the_weak_flag_of_the_missing_version_in_the_real_bridge_library()
    {
        // Given the TorchSharp bridge library and a system libstdc++ that stops before GLIBCXX_3.4.32
        var path = Path.Combine(NativeDirectory, "libLibTorchSharp.so");
        var original = File.ReadAllBytes(path);
        IReadOnlySet<string> gcc12 = new HashSet<string>(SystemVersions("libstdc++.so.6")!.Where(v => v != "GLIBCXX_3.4.32" && v != "GLIBCXX_3.4.31" && v != "GLIBCXX_3.4.33"));
        IReadOnlySet<string>? Versions(string library) => library == "libstdc++.so.6" ? gcc12 : SystemVersions(library);

        // When the missing versions are found and the patch is applied
        var missing = SymbolVersionPatch.FindMissing(original, path, Versions);
        var patched = SymbolVersionPatch.Apply(original, path, missing);

        // Then exactly GLIBCXX_3.4.32 is missing, nothing relocates against it, and only its flag bytes change
        var entry = Assert.Single(missing);
        Assert.Equal("GLIBCXX_3.4.32", entry.Version);
        Assert.Equal("libstdc++.so.6", entry.Library);
        Assert.Empty(entry.RelocatedSymbols);
        Assert.Equal(original.Length, patched.Length);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.All(differing, i => Assert.InRange(i, entry.FlagsOffset, entry.FlagsOffset + 1));
        Assert.NotEmpty(differing);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(patched.AsSpan((int)entry.FlagsOffset));
        Assert.Equal(SymbolVersionPatch.WeakFlag, flags & SymbolVersionPatch.WeakFlag);
        Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan((int)entry.FlagsOffset)) | SymbolVersionPatch.WeakFlag, flags);

        // And the patched copy has nothing left to patch
        var again = SymbolVersionPatch.FindMissing(patched, path, Versions);
        Assert.True(Assert.Single(again).AlreadyWeak);
    }

    [Fact]
    public void Should_load_the_engine_and_use_the_patched_copy_only_where_the_system_needs_it()
    {
        // Given this machine's libstdc++
        var systemVersions = SystemVersions("libstdc++.so.6")!;
        var needsPatch = !systemVersions.Contains("GLIBCXX_3.4.32");

        // When the engine is initialised
        var status = NativeRuntime.EnsureInitialized();
        using var sum = TorchSharp.torch.ones(3).sum();

        // Then it works, and the compatibility loader was used exactly when needed, from the cache, and is mapped
        Assert.Equal(3f, sum.item<float>());
        Assert.Equal(needsPatch, status.CompatibilityLoaderUsed);
        if (needsPatch)
        {
            Assert.StartsWith(NativeRuntime.CacheDirectory(), status.PatchedLibraryPath);
            Assert.Contains(File.ReadAllLines("/proc/self/maps"), line => line.EndsWith(status.PatchedLibraryPath!, StringComparison.Ordinal));
            Assert.Contains("libstdc++.so.6:GLIBCXX_3.4.32", status.WeakenedVersions);
            var original = File.ReadAllBytes(Path.Combine(NativeDirectory, "libLibTorchSharp.so"));
            var copy = File.ReadAllBytes(status.PatchedLibraryPath!);
            Assert.InRange(Enumerable.Range(0, original.Length).Count(i => original[i] != copy[i]), 1, 2);
        }
    }

    [Fact]
    public void Should_leave_a_library_that_needs_no_patch_untouched()
    {
        // Given libtorch.so, whose needed versions are all on this system
        var path = Path.Combine(NativeDirectory, "libtorch.so");
        var original = File.ReadAllBytes(path);

        // When it is analysed
        var missing = SymbolVersionPatch.FindMissing(original, path, SystemVersions);

        // Then nothing is missing and applying the empty patch changes no byte
        Assert.Empty(missing);
        Assert.Equal(original, SymbolVersionPatch.Apply(original, path, missing));
    }

    [Fact]
    public void Should_refuse_to_weaken_a_version_whose_symbols_are_relocated()
    {
        // Given the bridge library and a pretend libstdc++ that lacks GLIBCXX_3.4.30, which it does really use
        var path = Path.Combine(NativeDirectory, "libLibTorchSharp.so");
        var original = File.ReadAllBytes(path);
        IReadOnlySet<string> old = new HashSet<string>(SystemVersions("libstdc++.so.6")!.Where(v => v != "GLIBCXX_3.4.30"));

        // When the missing versions are found
        var missing = SymbolVersionPatch.FindMissing(original, path, l => l == "libstdc++.so.6" ? old : SystemVersions(l));

        // Then the patch is refused with a message naming the version, the file and the fix
        Assert.Contains(missing, m => m.Version == "GLIBCXX_3.4.30" && m.RelocatedSymbols.Count > 0);
        var error = Assert.Throws<HoldoutException>(() => SymbolVersionPatch.Apply(original, path, missing));
        Assert.Contains("GLIBCXX_3.4.30", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Contains("GCC 13", error.Message);
    }

    public static TheoryData<string, byte[]> MalformedInputs()
    {
        var real = File.ReadAllBytes(Path.Combine(NativeDirectory, "libLibTorchSharp.so"));
        var badSectionTable = (byte[])real.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(badSectionTable.AsSpan(0x28), (ulong)real.Length - 10);
        var hugeSection = (byte[])real.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(hugeSection.AsSpan(0x3c), ushort.MaxValue);
        var big32 = (byte[])real.Clone();
        big32[4] = 1;
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "not ELF", "hello, this is not a library"u8.ToArray() },
            { "truncated", real[..4096] },
            { "section table past the end", badSectionTable },
            { "too many sections", hugeSection },
            { "32-bit", big32 },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public void Should_refuse_malformed_ELF_input_with_a_clear_error(string kind, byte[] bytes)
    {
        // Given malformed bytes; When analysed; Then a clear format error, never a crash
        var error = Assert.Throws<ElfFormatException>(() => SymbolVersionPatch.FindMissing(bytes, $"bad-{kind}.so", SystemVersions));
        Assert.Contains($"bad-{kind}.so", error.Message);
        Assert.Contains("not a well-formed ELF", error.Message);
    }
}
