using Holdout.Training;

namespace Holdout.Runs;

/// <summary>Which recipe <c>holdout train</c> uses (<c>--recipe</c>); each names one <see cref="Recipe"/>.</summary>
public enum RecipeKind
{
    /// <summary><see cref="FineTune"/>: the head first with the backbone frozen, then every layer with discriminative
    /// learning rates. The default with a pretrained backbone.</summary>
    FineTune,

    /// <summary><see cref="Frozen"/>: only the head trains; the backbone stays frozen.</summary>
    Frozen,

    /// <summary><see cref="Scratch"/>: everything trains from random initialisation. The default without pretrained weights.</summary>
    Scratch,
}
