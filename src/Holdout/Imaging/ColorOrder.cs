namespace Holdout.Imaging;

/// <summary>The channel order a model expects its input in.</summary>
public enum ColorOrder
{
    /// <summary>Red, green, blue (torchvision, Keras).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe and CNTK exports, e.g. the bundled ResNet-18).</summary>
    Bgr,
}
