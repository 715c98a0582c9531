using Holdout.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// The features a model's last layer reads: for an <see cref="ImageClassifier"/> the backbone's pooled output (what
/// its head takes); for a <see cref="Sequential"/> the input of its last linear layer (or of the classifier inside
/// it); for any other module its outputs. The probes compare and learn from these instead of the head's outputs,
/// because a new head starts at the class priors (zero weights) and says nothing yet about what the backbone does.
/// </summary>
internal static class ModelFeatures
{
    /// <summary>The features of <paramref name="images"/> in the model's current mode.</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">N x ... inputs on the model's device.</param>
    public static Tensor Of(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        using var scope = NewDisposeScope();
        return Run(model, images).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>In words, what <see cref="Of"/> returns for this model, e.g. "the backbone's pooled features".</summary>
    /// <param name="model">The model.</param>
    public static string Describe(nn.Module<Tensor, Tensor> model) => model switch
    {
        ImageClassifier { StageCount: > 0 } => "the backbone's pooled features",
        ImageClassifier => "the convolutional features",
        Sequential sequential when Last(sequential) is { } last => last.Module is ImageClassifier classifier ? Describe(classifier)
            : last.Module is Sequential inner ? Describe(inner) : "the input of the last linear layer",
        _ => "the model's outputs (no linear layer or Holdout classifier found to read features from)",
    };

    private static Tensor Run(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        switch (model)
        {
            case ImageClassifier classifier:
                return classifier.Features(x);
            case Sequential sequential when Last(sequential) is { } last:
                var children = sequential.children().Cast<nn.Module<Tensor, Tensor>>().ToList();
                for (var i = 0; i < last.Index; i++)
                {
                    x = children[i].forward(x);
                }
                return last.Module is Linear ? x : Run(last.Module, x);
            default:
                return model.forward(x);
        }
    }

    /// <summary>The last child that is a linear layer, a classifier or a sequential holding one, with its position.</summary>
    private static (int Index, nn.Module<Tensor, Tensor> Module)? Last(Sequential sequential)
    {
        var children = sequential.children().ToList();
        if (children.Any(c => c is not nn.Module<Tensor, Tensor>))
        {
            return null;
        }
        for (var i = children.Count - 1; i >= 0; i--)
        {
            if (children[i] is Linear or ImageClassifier || children[i] is Sequential inner && Last(inner) is not null)
            {
                return (i, (nn.Module<Tensor, Tensor>)children[i]);
            }
        }
        return null;
    }
}
