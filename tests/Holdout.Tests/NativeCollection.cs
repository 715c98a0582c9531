namespace Holdout.Tests;

/// <summary>Tests that touch the engine's native state run one at a time, in this collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeCollection : ICollectionFixture<Diagnostics.PretrainedModelFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "native";
}
