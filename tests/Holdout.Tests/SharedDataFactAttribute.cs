namespace Holdout.Tests;

/// <summary>A fact that needs a dataset from the shared folder; skipped with a clear reason when it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string dataset)
    {
        if (SharedData.Dataset(dataset) is null)
        {
            Skip = $"shared dataset '{dataset}' not found: expected shared/datasets/{dataset} beside the repository clone (the folder holding .git) or under $HOLDOUT_SHARED";
        }
    }
}
