using System.Buffers.Binary;

namespace Holdout.Native;

/// <summary>
/// Makes a shared library loadable on a system whose C++ runtime lacks some symbol versions the library asks for,
/// where that is provably safe: a needed version (<c>Vernaux</c> entry of <c>.gnu.version_r</c>) that the system
/// library does not define is marked weak (<c>VER_FLG_WEAK</c>), which makes the dynamic loader accept its absence.
/// That is safe only when no dynamic relocation refers to a symbol of that version (then nothing in the library
/// can bind to it); otherwise the patch is refused.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> is built with GCC 13 and asks for <c>GLIBCXX_3.4.32</c> only for
/// <c>_ZSt21ios_base_library_initv</c>, a marker symbol with no relocation against it; Debian 12 and Ubuntu 22.04
/// ship GCC 12's libstdc++ (up to <c>GLIBCXX_3.4.30</c>).
/// </remarks>
internal static class SymbolVersionPatch
{
    /// <summary>The ELF <c>VER_FLG_WEAK</c> flag of a <c>Vernaux</c> entry.</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>A needed version the system does not provide.</summary>
    /// <param name="Library">The library it is needed from, e.g. <c>libstdc++.so.6</c>.</param>
    /// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
    /// <param name="FlagsOffset">File offset of the entry's two flag bytes.</param>
    /// <param name="RelocatedSymbols">Symbols of this version that dynamic relocations refer to (must be empty to patch).</param>
    /// <param name="AlreadyWeak">Whether the entry is already marked weak.</param>
    internal sealed record MissingVersion(string Library, string Version, long FlagsOffset, IReadOnlyList<string> RelocatedSymbols, bool AlreadyWeak);

    /// <summary>
    /// Lists the needed versions of <paramref name="libraryBytes"/> that the libraries it depends on do not define.
    /// </summary>
    /// <param name="libraryBytes">The shared library's file contents.</param>
    /// <param name="name">The library's path, for messages.</param>
    /// <param name="definedVersions">
    /// For a dependency's file name (e.g. <c>libstdc++.so.6</c>), the versions the copy the loader would use defines,
    /// or <c>null</c> when that library cannot be found (its versions are then not judged).
    /// </param>
    /// <exception cref="ElfFormatException">The bytes are not a well-formed ELF64 little-endian library.</exception>
    public static IReadOnlyList<MissingVersion> FindMissing(byte[] libraryBytes, string name, Func<string, IReadOnlySet<string>?> definedVersions)
    {
        var image = ElfImage.Parse(libraryBytes, name);
        var result = new List<MissingVersion>();
        var cache = new Dictionary<string, IReadOnlySet<string>?>(StringComparer.Ordinal);
        foreach (var needed in image.ReadNeededVersions())
        {
            if (!cache.TryGetValue(needed.Library, out var defined))
                cache[needed.Library] = defined = definedVersions(needed.Library);
            if (defined is null || defined.Contains(needed.Version)) continue;
            result.Add(new MissingVersion(needed.Library, needed.Version, needed.FlagsOffset,
                image.RelocatedSymbolsWithVersion(needed.Index), (needed.Flags & WeakFlag) != 0));
        }
        return result;
    }

    /// <summary>
    /// Returns a copy of <paramref name="libraryBytes"/> in which every missing version's entry is marked weak; every
    /// other byte is identical.
    /// </summary>
    /// <exception cref="HoldoutException">A missing version has relocations against its symbols, so weakening it is unsafe.</exception>
    public static byte[] Apply(byte[] libraryBytes, string name, IReadOnlyList<MissingVersion> missing)
    {
        var unsafeOnes = missing.Where(m => m.RelocatedSymbols.Count > 0).ToList();
        if (unsafeOnes.Count > 0)
        {
            var first = unsafeOnes[0];
            throw new HoldoutException(
                $"'{name}' needs {first.Version} from {first.Library}, which this system's {first.Library} does not " +
                $"provide, and it really uses symbols of that version ({string.Join(", ", first.RelocatedSymbols.Take(5))}), " +
                "so it cannot be made to load safely. Fix: run on a distribution whose C++ runtime comes from GCC 13 or " +
                "newer (e.g. Debian 13, Ubuntu 24.04), or install a newer libstdc++.so.6 and point LD_LIBRARY_PATH at it.");
        }
        var patched = (byte[])libraryBytes.Clone();
        foreach (var entry in missing)
        {
            var span = patched.AsSpan((int)entry.FlagsOffset, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span) | WeakFlag));
        }
        return patched;
    }

    /// <summary>Reads the versions a library file defines (its <c>.gnu.version_d</c>).</summary>
    /// <exception cref="ElfFormatException">The file is not a well-formed ELF64 little-endian library.</exception>
    public static IReadOnlySet<string> ReadDefinedVersions(string libraryPath) => ElfImage.Read(libraryPath).ReadDefinedVersions();
}
