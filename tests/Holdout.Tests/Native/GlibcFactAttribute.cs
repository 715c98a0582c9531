namespace Holdout.Tests.Native;

/// <summary>A fact about glibc's allocator on Linux; skipped with the reason elsewhere.</summary>
public sealed class GlibcFactAttribute : FactAttribute
{
    public GlibcFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "glibc's allocator (mallopt, mallinfo2) exists on Linux only; elsewhere Holdout changes no allocator setting at all.";
    }
}
