namespace Holdout.Models;

/// <summary>How a backbone's feature map becomes the feature vector the classification head reads.</summary>
public enum HeadPooling
{
    /// <summary>Global average pooling over the spatial positions (N x C). The default.</summary>
    Average,

    /// <summary>Flatten the whole feature map (N x C·H·W); ties the head to the input size.</summary>
    Flatten,
}
