using System.Buffers.Binary;
using System.Text;

namespace Holdout.Native;

/// <summary>
/// A read-only view of a 64-bit little-endian ELF shared library: just enough of the format to read the symbol
/// versions it needs (<c>.gnu.version_r</c>), the versions it defines (<c>.gnu.version_d</c>), its dynamic symbols'
/// version indices (<c>.gnu.version</c>) and its dynamic relocations. Every offset and size is checked against the
/// file length, so malformed input raises <see cref="ElfFormatException"/>, never an out-of-range read.
/// </summary>
internal sealed class ElfImage
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    private readonly byte[] _bytes;
    private readonly string _name;
    private readonly List<Section> _sections = [];

    private ElfImage(byte[] bytes, string name)
    {
        _bytes = bytes;
        _name = name;
        ParseHeader();
    }

    /// <summary>One needed symbol version: an entry (Vernaux) of <c>.gnu.version_r</c>.</summary>
    /// <param name="Library">The library the version is needed from (e.g. <c>libstdc++.so.6</c>).</param>
    /// <param name="Version">The version name (e.g. <c>GLIBCXX_3.4.32</c>).</param>
    /// <param name="Index">The version index symbols refer to through <c>.gnu.version</c>.</param>
    /// <param name="Flags">The entry's <c>vna_flags</c>.</param>
    /// <param name="FlagsOffset">The file offset of <c>vna_flags</c> (two bytes, little-endian).</param>
    internal sealed record NeededVersion(string Library, string Version, ushort Index, ushort Flags, long FlagsOffset);

    private sealed record Section(uint Type, long Offset, long Size, uint Link, long EntrySize, uint Info);

    /// <summary>Reads a file; a file that is not a well-formed ELF64 little-endian library raises <see cref="ElfFormatException"/>.</summary>
    public static ElfImage Read(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>Parses bytes already in memory; <paramref name="name"/> is used in error messages.</summary>
    public static ElfImage Parse(byte[] bytes, string name) => new(bytes, name);

    /// <summary>The raw bytes of the file.</summary>
    public byte[] Bytes => _bytes;

    /// <summary>Every needed symbol version, in file order.</summary>
    public IReadOnlyList<NeededVersion> ReadNeededVersions()
    {
        var result = new List<NeededVersion>();
        foreach (var section in _sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strings = LinkedSection(section);
            foreach (var entry in Chain(section.Offset, 16, 12, ".gnu.version_r entry"))
            {
                string library = ReadString(strings, U32(entry + 4));
                foreach (var aux in Chain(entry + U32(entry + 8), 16, 12, ".gnu.version_r auxiliary entry").Take(U16(entry + 2)))
                {
                    result.Add(new NeededVersion(library, ReadString(strings, U32(aux + 8)), U16(aux + 6), U16(aux + 4), aux + 4));
                }
            }
        }
        return result;
    }

    /// <summary>The version names this library defines (<c>.gnu.version_d</c>), e.g. <c>GLIBCXX_3.4.30</c>.</summary>
    public IReadOnlySet<string> ReadDefinedVersions()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in _sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strings = LinkedSection(section);
            foreach (var entry in Chain(section.Offset, 20, 16, ".gnu.version_d entry").Where(e => U16(e + 6) > 0))
            {
                var aux = entry + U32(entry + 12);
                Require(aux, 8, ".gnu.version_d auxiliary entry");
                result.Add(ReadString(strings, U32(aux)));
            }
        }
        return result;
    }

    /// <summary>
    /// The offsets of the entries of a linked list in the file, from <paramref name="first"/>: each entry is at least
    /// <paramref name="entrySize"/> bytes (checked before it is returned) and holds, at <paramref name="nextField"/>,
    /// the distance to the next one (0 ends the list).
    /// </summary>
    private IEnumerable<long> Chain(long first, int entrySize, int nextField, string what)
    {
        long offset = first;
        for (int guard = 0; ; guard++)
        {
            if (guard > 100_000) throw Malformed($"a {what} chain that does not end");
            Require(offset, entrySize, what);
            yield return offset;
            uint next = U32(offset + nextField);
            if (next == 0) yield break;
            offset += next;
        }
    }

    /// <summary>
    /// The names of dynamic symbols that carry version <paramref name="versionIndex"/> and are the target of at
    /// least one dynamic relocation (REL or RELA against <c>.dynsym</c>).
    /// </summary>
    public IReadOnlyList<string> RelocatedSymbolsWithVersion(ushort versionIndex)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym is null || versym is null) return [];
        var strings = LinkedSection(dynsym);
        long symbolCount = dynsym.Size / 24;
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var relocations in _sections.Where(s => s.Type is ShtRela or ShtRel))
        {
            if (relocations.Link >= _sections.Count || _sections[(int)relocations.Link] != dynsym) continue;
            long entrySize = relocations.Type == ShtRela ? 24 : 16;
            for (long at = relocations.Offset; at + entrySize <= relocations.Offset + relocations.Size; at += entrySize)
            {
                Require(at, entrySize, "relocation entry");
                ulong info = U64(at + 8);
                long symbol = (long)(info >> 32);
                if (symbol == 0) continue;
                if (symbol >= symbolCount) throw Malformed($"a relocation against symbol {symbol} of {symbolCount}");
                long versymAt = versym.Offset + symbol * 2;
                Require(versymAt, 2, ".gnu.version entry");
                if ((U16(versymAt) & 0x7fff) != versionIndex) continue;
                long symbolAt = dynsym.Offset + symbol * 24;
                Require(symbolAt, 24, ".dynsym entry");
                result.Add(ReadString(strings, U32(symbolAt)));
            }
        }
        return [.. result];
    }

    private void ParseHeader()
    {
        if (_bytes.Length < 64 || _bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
            throw Malformed("no ELF magic number at the start (this is not a shared library)");
        if (_bytes[4] != 2) throw Malformed("a 32-bit ELF class; only 64-bit libraries are supported");
        if (_bytes[5] != 1) throw Malformed("big-endian data; only little-endian libraries are supported");
        long sectionTable = (long)U64(0x28);
        ushort entrySize = U16(0x3a);
        ushort count = U16(0x3c);
        if (count == 0) return;
        if (entrySize < 64) throw Malformed($"a section header size of {entrySize} bytes (expected 64)");
        Require(sectionTable, (long)entrySize * count, "section header table");
        for (int i = 0; i < count; i++)
        {
            long at = sectionTable + (long)i * entrySize;
            uint type = U32(at + 4);
            long offset = (long)U64(at + 0x18);
            long size = (long)U64(at + 0x20);
            uint link = U32(at + 0x28);
            uint info = U32(at + 0x2c);
            long entry = (long)U64(at + 0x38);
            // SHT_NOBITS (8) occupies no file bytes; everything else must lie inside the file.
            if (type != 8 && type != 0) Require(offset, size, $"section {i}");
            _sections.Add(new Section(type, offset, size, link, entry, info));
        }
    }

    private Section LinkedSection(Section section)
    {
        if (section.Link >= _sections.Count) throw Malformed($"a section link {section.Link} past the {_sections.Count} sections");
        return _sections[(int)section.Link];
    }

    private string ReadString(Section strings, uint offset)
    {
        if (offset >= strings.Size) throw Malformed($"a string offset {offset} past its table of {strings.Size} bytes");
        long start = strings.Offset + offset;
        long end = start;
        long limit = strings.Offset + strings.Size;
        while (end < limit && _bytes[end] != 0) end++;
        if (end == limit) throw Malformed("an unterminated string");
        return Encoding.UTF8.GetString(_bytes, (int)start, (int)(end - start));
    }

    private void Require(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > _bytes.Length || length > _bytes.Length - offset)
            throw Malformed($"a {what} at offset {offset} (+{length} bytes) past the end of the {_bytes.Length}-byte file");
    }

    private ushort U16(long at) { Require(at, 2, "field"); return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)at)); }

    private uint U32(long at) { Require(at, 4, "field"); return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)at)); }

    private ulong U64(long at) { Require(at, 8, "field"); return BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan((int)at)); }

    private ElfFormatException Malformed(string what) =>
        new($"'{_name}' is not a well-formed ELF shared library: it has {what}.");
}
