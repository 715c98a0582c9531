using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>The head on a pooled backbone feature vector: optional BatchNorm1d, optional dropout, a linear layer.</summary>
internal sealed class ClassifierHead : Module<Tensor, Tensor>
{
    private readonly BatchNorm1d? bn;
    private readonly BatchDropout? dropout;
    private readonly Linear fc;

    public ClassifierHead(long features, long classes, HeadOptions options) : base("head")
    {
        if (options.BatchNorm) bn = BatchNorm1d(features);
        if (options.Dropout > 0) dropout = new BatchDropout(options.Dropout);
        fc = Linear(features, classes);
        RegisterComponents();
        HeadInitialisation.Apply(fc, null);
    }

    /// <summary>The output layer when the head is that layer alone (no BatchNorm, no dropout), else null.</summary>
    public Linear? PlainOutput => bn is null && dropout is null ? fc : null;

    /// <summary>Starts the head over so its first predictions are <paramref name="priors"/> (see <see cref="HeadInitialisation"/>).</summary>
    public void Initialise(IReadOnlyList<double>? priors) => HeadInitialisation.Apply(fc, priors);

    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = features;
        if (bn is not null) x = bn.forward(x);
        if (dropout is not null) x = dropout.forward(x);
        return fc.forward(x).MoveToOuterDisposeScope();
    }
}
