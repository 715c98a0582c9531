namespace Holdout.Tests.Fuzzing;

/// <summary>Fuzz tests run alone (not beside other tests), so the memory they measure is their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "fuzz";
}
