using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>The dense part of the seed's Keras CNN: Dense 128 ReLU, Dropout 0.5, Dense(classes); Glorot-uniform, zero biases.</summary>
internal sealed class SimpleCnnHead : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly BatchDropout dropout;
    private readonly Linear fc2;

    public SimpleCnnHead(long features, long classes) : base("head")
    {
        fc1 = Linear(features, 128);
        dropout = new BatchDropout(0.5);
        fc2 = Linear(128, classes);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var linear in new[] { fc1, fc2 })
        {
            init.xavier_uniform_(linear.weight);
            init.zeros_(linear.bias!);
        }
        HeadInitialisation.Apply(fc2, null);
    }

    /// <summary>Starts the output layer over so the first predictions are <paramref name="priors"/> (see <see cref="HeadInitialisation"/>).</summary>
    public void Initialise(IReadOnlyList<double>? priors) => HeadInitialisation.Apply(fc2, priors);

    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = dropout.forward(functional.relu(fc1.forward(features)));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }
}
