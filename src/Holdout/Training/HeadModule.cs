using Holdout.Models;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// The classifier's head alone, as a module that takes backbone features: what the frozen recipe trains on cached
/// features. It shares its parameters with the classifier, so training it trains the classifier's head.
/// </summary>
internal sealed class HeadModule : nn.Module<Tensor, Tensor>
{
    private readonly ImageClassifier model;

    public HeadModule(ImageClassifier model) : base("head_only")
    {
        this.model = model;
        RegisterComponents();
    }

    public override Tensor forward(Tensor features) => model.Classify(features);
}
