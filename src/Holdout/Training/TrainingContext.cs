using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>What callbacks see of a training run: the model, the epoch counters, the stop flag and weight snapshots.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(nn.Module<Tensor, Tensor> model, TrainingOptions options)
    {
        Model = model;
        Options = options;
    }

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The epochs trained so far (the trainer's <see cref="Training.History"/>).</summary>
    public History History { get; internal set; } = new();

    /// <summary>The options of the run.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Set to true to stop training after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>Why training stopped early, for the log (e.g. "early stopping: val_loss did not improve for 3 epochs").</summary>
    public string? StopReason { get; set; }

    /// <summary>Epochs completed so far, over all phases.</summary>
    public int CompletedEpochs { get; internal set; }

    /// <summary>The total number of epochs planned over all phases, for display.</summary>
    public int PlannedEpochs { get; internal set; }

    /// <summary>When the run must end, when it has a wall-time budget (<see cref="Runs.TrainRunOptions.Budget"/>); null otherwise. Progress displays show the time left.</summary>
    public DateTimeOffset? Deadline { get; internal set; }

    /// <summary>The name of the current phase (e.g. <c>head</c>, <c>all layers</c>).</summary>
    public string Phase { get; internal set; } = "";

    /// <summary>A detached copy of every parameter and buffer of the model (for restoring the best weights).</summary>
    public Dictionary<string, Tensor> SnapshotWeights()
    {
        using var noGrad = torch.no_grad();
        return Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Copies a snapshot back into the model's parameters and buffers.</summary>
    public void RestoreWeights(IReadOnlyDictionary<string, Tensor> snapshot)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in Model.state_dict())
        {
            if (snapshot.TryGetValue(name, out var saved)) tensor.copy_(saved);
        }
    }
}
