namespace Holdout.Imaging;

/// <summary>The range 8-bit pixel values are mapped to before the mean is subtracted and the std divided.</summary>
public enum ValueScale
{
    /// <summary>Pixels divided by 255: 0..1 (torchvision).</summary>
    UnitInterval,

    /// <summary>Pixels kept as 0..255 (Caffe and CNTK exports).</summary>
    Byte,
}
