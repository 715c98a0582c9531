using Holdout.Models;
using Holdout.Native;
using Holdout.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Tests.Diagnostics;

/// <summary>
/// One pretrained ResNet-18 (bundled weights, 2 classes, 64 px) shared by the tests of the native collection that
/// need it; loaded on first use. <see cref="Reset"/> puts back its weights, BatchNorm momentum, freezing and policy,
/// so a test that breaks it (the classic failing setup) does not leak into the next.
/// </summary>
public sealed class PretrainedModelFixture : IDisposable
{
    private readonly Lazy<(ImageClassifier Model, Dictionary<string, Tensor> State, double?[] Momentum)> _loaded = new(Load);

    public static IReadOnlyList<string> Classes { get; } = ["angular_leaf_spot", "healthy"];

    public const int ImageSize = 64;

    /// <summary>The shared model, reset to its freshly loaded state.</summary>
    public ImageClassifier Reset()
    {
        var (model, state, momentum) = _loaded.Value;
        model.Unfreeze();
        model.FrozenBatchNorm = BatchNormPolicy.FrozenStaysInEval;
        using (no_grad())
        {
            foreach (var (name, value) in model.state_dict())
            {
                value.copy_(state[name]);
            }
        }
        var norms = model.modules().OfType<BatchNorm>().ToList();
        for (var i = 0; i < norms.Count; i++)
        {
            norms[i].momentum = momentum[i];
        }
        model.train();
        return model;
    }

    private static (ImageClassifier, Dictionary<string, Tensor>, double?[]) Load()
    {
        NativeRuntime.EnsureInitialized();
        var model = PretrainedResNet18.Create(Classes, ImageSize);
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        var momentum = model.modules().OfType<BatchNorm>().Select(n => n.momentum).ToArray();
        return (model, state, momentum);
    }

    public void Dispose()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Model.Dispose();
            foreach (var value in _loaded.Value.State.Values)
            {
                value.Dispose();
            }
        }
    }
}
