namespace Holdout.Imaging;

/// <summary>How evaluation and prediction images are brought to the model's input size.</summary>
public enum EvalResize
{
    /// <summary>Shorter side to size / 0.875, then a centre crop of size x size (torchvision's Resize(256) + CenterCrop(224)).</summary>
    ResizeAndCenterCrop,

    /// <summary>Resize straight to size x size, ignoring the aspect ratio.</summary>
    Stretch,
}
