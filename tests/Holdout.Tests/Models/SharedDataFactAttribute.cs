namespace Holdout.Tests.Models;

/// <summary>A fact that needs the team's shared datasets; it is reported as skipped, with the reason, when they are absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (TestPaths.Shared() is null)
            Skip = "shared/datasets not found in any folder above the test binaries (expected e.g. /work/shared/datasets/beans)";
    }
}
