namespace Holdout.Data;

/// <summary>Options for <see cref="DatasetDiscovery"/>.</summary>
/// <param name="Strict">When true, any unreadable file is an error instead of being skipped and reported. Defaults to false.</param>
/// <param name="Workers">Threads that check the images. Defaults to 0 = one per processor core.</param>
public sealed record DiscoveryOptions(bool Strict = false, int Workers = 0);
