using Holdout.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// The phases of a recipe and how each one sets the model up: which layers are frozen and which learning rate
/// each parameter group gets.
/// </summary>
internal sealed class RecipePlan
{
    private readonly TrainRunOptions _options;

    private RecipePlan(Recipe recipe, TrainRunOptions options, IReadOnlyList<(string Name, int Epochs, bool Frozen)> phases)
    {
        Recipe = recipe;
        _options = options;
        Phases = phases;
    }

    public Recipe Recipe { get; }

    public IReadOnlyList<(string Name, int Epochs, bool Frozen)> Phases { get; }

    public int TotalEpochs => Phases.Sum(p => p.Epochs);

    /// <summary>The epochs of all phases before <paramref name="phase"/>.</summary>
    public int EpochsBefore(int phase) => Phases.Take(phase).Sum(p => p.Epochs);

    public static RecipePlan Create(Recipe recipe, TrainRunOptions options, ImageClassifier model) => recipe switch
    {
        Recipe.FineTune when options.Epochs == 1 => new(recipe, options, [("head, backbone frozen", 1, true)]),
        Recipe.FineTune => new(recipe, options, options.FreezeEpochs > 0
            ? [("head, backbone frozen", options.FreezeEpochs, true), ("all layers, discriminative lr", options.Epochs - options.FreezeEpochs, false)]
            : [("all layers, discriminative lr", options.Epochs, false)]),
        Recipe.Frozen => new(recipe, options, [("head, backbone frozen", options.Epochs, true)]),
        _ => new(recipe, options, [("all layers", options.Epochs, false)]),
    };

    /// <summary>Freezes or unfreezes the model for phase <paramref name="index"/> and returns its parameter groups.</summary>
    public TrainingPhase Prepare(int index, ImageClassifier model, nn.Module<Tensor, Tensor> trained)
    {
        var (name, epochs, frozen) = Phases[index];
        double lr = _options.EffectiveLearningRate;
        if (frozen)
        {
            model.FreezeBackbone();
            var groups = model.ParameterGroups();
            return new TrainingPhase(name, epochs, [.. groups.Where(g => g.Count > 0).Select(g => new ParameterGroup(g, lr))], _options.Schedule);
        }
        model.Unfreeze();
        var all = model.ParameterGroups().Where(g => g.Count > 0).ToList();
        if (Recipe == Recipe.Scratch)
            return new TrainingPhase(name, epochs, [new ParameterGroup([.. all.SelectMany(g => g)], lr)], _options.Schedule);
        // fastai's fine_tune: base_lr /= 2, then slice(base_lr / lr_mult, base_lr) spread geometrically over the groups.
        double top = lr / 2, bottom = top / _options.LearningRateMultiplier;
        var spread = all.Select((g, i) => new ParameterGroup(g, all.Count == 1 ? top : bottom * Math.Pow(top / bottom, i / (double)(all.Count - 1)))).ToList();
        return new TrainingPhase(name, epochs, spread, _options.Schedule);
    }
}
