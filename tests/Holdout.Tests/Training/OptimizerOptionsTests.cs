using Holdout.Data;
using Holdout.Native;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

/// <summary>
/// --optimizer and --weight-decay: one training step of the trainer on a one-layer problem whose gradient is known,
/// against the update each optimiser documents.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class OptimizerOptionsTests
{
    /// <summary>
    /// The weights (2 x 1, no bias) of a linear model after the trainer's one step on one sample (input
    /// <paramref name="input"/>, label 0) at a constant learning rate <paramref name="lr"/>.
    /// </summary>
    private static float[] AfterOneStep(OptimizerKind optimizer, double lr, double weightDecay, float[] start, float input)
    {
        NativeRuntime.EnsureInitialized();
        using var model = nn.Linear(1, 2, hasBias: false);
        using (no_grad()) model.weight!.copy_(tensor(start, [2, 1]));
        using var x = tensor(new[] { input }, [1, 1]);
        using var y = tensor(new long[] { 0 });
        using var source = new TensorBatchSource(x, y, batchSize: 1, shuffle: false);
        using var trainer = new Trainer(model, new TrainingOptions(Optimizer: optimizer, WeightDecay: weightDecay));
        trainer.Fit(source, null, new TrainingPhase("one step", 1, [new ParameterGroup([.. model.parameters()], lr)], ScheduleKind.Constant));
        return model.weight!.detach().data<float>().ToArray();
    }

    [Fact]
    public void Should_take_the_documented_first_step_of_sgd_adam_and_adamw()
    {
        // Given logits w x 1 = (0, 0) for label 0: the gradient of the cross-entropy is softmax - one-hot = (-0.5, 0.5)
        float[] start = [0f, 0f];

        // When each optimiser takes one step at learning rate 0.1, without weight decay
        var sgd = AfterOneStep(OptimizerKind.Sgd, 0.1, 0, start, 1f);
        var adam = AfterOneStep(OptimizerKind.Adam, 0.1, 0, start, 1f);
        var adamW = AfterOneStep(OptimizerKind.AdamW, 0.1, 0, start, 1f);

        // Then SGD (momentum 0.9: its first step is the plain one) moves by -lr x gradient = (0.05, -0.05), while Adam
        // and AdamW move by -lr x gradient / |gradient| = (0.1, -0.1) (bias-corrected moments; eps 1e-8 aside)
        Assert.Equal([0.05f, -0.05f], sgd, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.1f, -0.1f], adam, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.1f, -0.1f], adamW, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Should_decay_the_weights_as_each_optimiser_defines_weight_decay()
    {
        // Given weights (1, -4) and input 0, so the loss gives every weight a gradient of exactly 0
        float[] start = [1f, -4f];
        const double Lr = 0.1, Decay = 0.5;

        // When each optimiser takes one step at learning rate 0.1 with weight decay 0.5, and AdamW once without it
        var adamW = AfterOneStep(OptimizerKind.AdamW, Lr, Decay, start, 0f);
        var sgd = AfterOneStep(OptimizerKind.Sgd, Lr, Decay, start, 0f);
        var adam = AfterOneStep(OptimizerKind.Adam, Lr, Decay, start, 0f);
        var undecayed = AfterOneStep(OptimizerKind.AdamW, Lr, 0, start, 0f);

        // Then AdamW shrinks the weights by the factor 1 - lr x decay = 0.95 (decoupled: the zero gradient adds
        // nothing), SGD's L2 gradient decay x w gives the same first step, Adam's L2 gradient is normalised
        // (each weight moves by lr against its sign: (0.9, -3.9)), and without decay nothing moves
        Assert.Equal([0.95f, -3.8f], adamW, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.95f, -3.8f], sgd, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.9f, -3.9f], adam, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(start, undecayed);
    }
}
