namespace Holdout.Inference;

/// <summary>Options for <see cref="Embedder"/>.</summary>
/// <param name="BatchSize">Images per forward pass. Defaults to 32.</param>
/// <param name="Workers">Threads that decode the images of a batch; 0 = one per core. Defaults to 0.</param>
/// <param name="Precision">The backbone's number format when the embedder loads or builds the model. Defaults to null:
/// the run's own when a run folder is loaded (so the features are those its evaluation computed), else
/// <see cref="Models.Precision.Auto"/>. A model given to the constructor keeps its own.</param>
/// <param name="MaxPixels">The largest width x height decoded; a larger image gets an error result with its
/// dimensions. Defaults to null = <see cref="Imaging.ImageLimits.MaxPixels"/>.</param>
public sealed record EmbedderOptions(int BatchSize = 32, int Workers = 0, Models.Precision? Precision = null, long? MaxPixels = null)
{
    /// <summary>The worker count with the default filled in.</summary>
    public int EffectiveWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;

    /// <summary>Checks the options; the message names the option, what it got and what it expects.</summary>
    /// <exception cref="HoldoutException">A value is out of range.</exception>
    public void Validate()
    {
        if (BatchSize < 1) throw new HoldoutException($"--batch-size must be at least 1, got {BatchSize}.");
        if (Workers < 0) throw new HoldoutException($"--workers must be 0 (one per core) or more, got {Workers}.");
    }
}
