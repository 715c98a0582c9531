namespace Holdout.Training;

/// <summary>How a model is trained (<c>--recipe</c>).</summary>
public enum Recipe
{
    /// <summary>
    /// fastai's <c>fine_tune</c>: the head trains with the backbone frozen for the freeze epochs, then everything
    /// trains with discriminative learning rates (earliest layers at lr / lr-mult, rising to lr at the head) at half
    /// the base rate. The default with a pretrained backbone.
    /// </summary>
    FineTune,

    /// <summary>
    /// Only the head trains; the backbone stays frozen. Without augmentation the backbone's features are computed
    /// once and cached, so each further epoch costs almost nothing.
    /// </summary>
    Frozen,

    /// <summary>Everything trains from random initialisation. The default without pretrained weights.</summary>
    Scratch,
}
