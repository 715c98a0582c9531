namespace Holdout.Training;

/// <summary>The optimiser that updates the weights.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (betas 0.9, 0.999). The default.</summary>
    Adam,

    /// <summary>AdamW: Adam with decoupled weight decay.</summary>
    AdamW,

    /// <summary>Stochastic gradient descent with momentum (0.9 unless set) and Nesterov off.</summary>
    Sgd,
}
