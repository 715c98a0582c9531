using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models;

/// <summary>
/// A pretrained-style backbone in torchvision's layout and parameter names, without its classifier: images
/// (N x 3 x H x W) in, the last stage's feature map (N x C x h x w) out. Pooling the map into the feature vector the
/// head reads is <see cref="Pool"/>: a global average, followed by whatever torchvision applies between its pooling and
/// its last linear layer when that belongs to the features (ConvNeXt's LayerNorm). A torchvision state dict of the same
/// architecture loads into it unchanged, its classifier (<see cref="IsClassifierKey"/>) excepted.
/// </summary>
internal abstract class Backbone : Module<Tensor, Tensor>
{
    protected Backbone(string name) : base(name)
    {
    }

    /// <summary>The freezable stages, earliest first (a ResNet's stem, layer1..layer4; torchvision's <c>features.i</c>).</summary>
    public abstract IReadOnlyList<IReadOnlyList<Module>> Stages { get; }

    /// <summary>Length of the pooled feature vector (<see cref="Pool"/>'s output).</summary>
    public abstract long FeatureDimension { get; }

    /// <summary>Names of the stages for messages, e.g. <c>stem, layer1..layer4</c>.</summary>
    public abstract string StageNames { get; }

    /// <summary>
    /// The architecture's name in messages and records, e.g. <c>efficientnet-b0</c>.
    /// </summary>
    public abstract string Description { get; }

    /// <summary>
    /// Whether a key of a torchvision checkpoint of this architecture belongs to its classifier, which Holdout's head
    /// replaces (<c>fc.*</c> for ResNets; <c>classifier.*</c> except ConvNeXt's <c>classifier.0</c> norm).
    /// </summary>
    public abstract bool IsClassifierKey(string name);

    /// <summary>The feature vector of a feature map: N x C x h x w to N x <see cref="FeatureDimension"/>, float32.</summary>
    public virtual Tensor Pool(Tensor map) => map.mean([2L, 3L]);
}
