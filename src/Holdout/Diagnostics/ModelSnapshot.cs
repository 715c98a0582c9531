using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics;

/// <summary>
/// The state of a model a probe may disturb: train/eval mode of every module, parameter values and trainability,
/// and buffers (BatchNorm running statistics). <see cref="Dispose"/> puts all of it back.
/// </summary>
internal sealed class ModelSnapshot : IDisposable
{
    private readonly nn.Module _model;
    private readonly List<(nn.Module Module, bool Training)> _modes;
    private readonly List<(Tensor Live, Tensor Copy)> _values = [];
    private readonly List<(TorchSharp.Modules.Parameter Parameter, bool RequiresGrad)> _trainable;

    public ModelSnapshot(nn.Module model, bool parameters)
    {
        _model = model;
        _modes = AllModules(model).Select(m => (m, m.training)).ToList();
        _trainable = model.parameters().Select(p => (p, p.requires_grad)).ToList();
        using var noGrad = no_grad();
        foreach (var (_, buffer) in model.named_buffers())
        {
            _values.Add((buffer, buffer.clone().DetachFromDisposeScope()));
        }
        if (parameters)
        {
            foreach (var p in model.parameters())
            {
                _values.Add((p, p.detach().clone().DetachFromDisposeScope()));
            }
        }
    }

    /// <summary>The model and all its descendants, parents before children.</summary>
    public static List<nn.Module> AllModules(nn.Module model)
    {
        var list = new List<nn.Module> { model };
        foreach (var m in model.modules())
        {
            if (!list.Any(x => ReferenceEquals(x, m)))
            {
                list.Add(m);
            }
        }
        return list;
    }

    public void Dispose()
    {
        using (no_grad())
        {
            foreach (var (live, copy) in _values)
            {
                live.copy_(copy);
                copy.Dispose();
            }
        }
        foreach (var (parameter, requiresGrad) in _trainable)
        {
            parameter.requires_grad = requiresGrad;
        }
        foreach (var (module, training) in _modes)
        {
            module.train(training);
        }
        _ = _model;
    }
}
