using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// The convolutional part of the seed's Keras CNN: Conv 32 3x3 ReLU, Conv 64 3x3 ReLU (Keras 'valid' padding),
/// MaxPool 2, Dropout 0.25, Flatten. Keras initialisation: Glorot-uniform kernels, zero biases.
/// </summary>
internal sealed class SimpleCnnFeatures : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly MaxPool2d pool;
    private readonly BatchDropout dropout;

    public SimpleCnnFeatures() : base("simple-cnn")
    {
        conv1 = Conv2d(3, 32, 3);
        conv2 = Conv2d(32, 64, 3);
        pool = MaxPool2d(2);
        dropout = new BatchDropout(0.25);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var conv in new[] { conv1, conv2 })
        {
            init.xavier_uniform_(conv.weight);
            init.zeros_(conv.bias);
        }
    }

    /// <summary>Length of the flattened features for a square input of side <paramref name="imageSize"/>.</summary>
    public static long FeatureDimension(int imageSize) => (long)((imageSize - 4) / 2) * ((imageSize - 4) / 2) * 64;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return FromLastConvolution(LastConvolution(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The last convolution's activations (N x 64 x (S-4) x (S-4)): the map Grad-CAM explains.</summary>
    public Tensor LastConvolution(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(MixedPrecision.Conv(conv1, input));
        return functional.relu(MixedPrecision.Conv(conv2, x)).MoveToOuterDisposeScope();
    }

    /// <summary>The rest of <see cref="forward"/> after <see cref="LastConvolution"/>: pool, dropout, flatten.</summary>
    public Tensor FromLastConvolution(Tensor map)
    {
        using var scope = NewDisposeScope();
        return dropout.forward(pool.forward(map)).flatten(1).MoveToOuterDisposeScope();
    }
}
