namespace Holdout.Tests;

/// <summary>A fact that checks something only Linux has (glibc's allocator, the kernel's fault counts); skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string reason)
    {
        if (!OperatingSystem.IsLinux()) Skip = $"Linux only: {reason}";
    }
}

/// <summary>A theory that checks something only Linux has; skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute(string reason)
    {
        if (!OperatingSystem.IsLinux()) Skip = $"Linux only: {reason}";
    }
}
