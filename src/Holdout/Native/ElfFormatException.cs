namespace Holdout.Native;

/// <summary>The bytes given as an ELF shared library are not a well-formed 64-bit little-endian ELF file.</summary>
internal sealed class ElfFormatException : HoldoutException
{
    /// <summary>Creates the error; <paramref name="message"/> names the file and the inconsistency found.</summary>
    public ElfFormatException(string message) : base(message) { }
}
