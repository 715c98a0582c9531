namespace Holdout.Tests.Diagnostics;

/// <summary>
/// One data fault of each kind the audit names, written into <c>data/</c> of a train/val folder: a validation image
/// that re-encodes a training one, a copy under another class, an exact copy, a truncated JPEG and a PNG named .jpg.
/// </summary>
internal static class PlantedDataFaults
{
    public static void Write(TempFolder folder)
    {
        var original = TestImages.Png(5, 48, 48);
        folder.Write("data/val/cat/leaked_reencoded.jpg", TestImages.Reencoded(original, 75));
        folder.Write("data/train/dog/conflicting_copy.png", original);
        folder.Write("data/train/cat/exact_copy.png", TestImages.Png(6, 48, 48));
        folder.Write("data/train/cat/truncated.jpg", TestImages.Jpeg(7).Take(200).ToArray());
        folder.Write("data/train/dog/really_a_png.jpg", TestImages.Png(150, 48, 48));
    }
}
