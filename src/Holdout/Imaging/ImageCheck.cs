namespace Holdout.Imaging;

/// <summary>Checks that an image file can be used: it opens by content, is within the pixel limit and its data decodes completely.</summary>
internal static class ImageCheck
{
    /// <summary>
    /// Decodes <paramref name="path"/> (JPEG at a reduced scale, which still reads the whole stream) and returns null
    /// when it is usable, else the reason (empty, not an image, unsupported format, too large, truncated,
    /// undecodable). Never throws for a bad file.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxPixels">The largest width x height accepted. Defaults to <see cref="ImageLimits.MaxPixels"/>.</param>
    public static string? Check(string path, long? maxPixels = null)
    {
        if (!ImageSource.TryOpen(path, maxPixels ?? ImageLimits.MaxPixels, out var source, out var reason))
        {
            return reason;
        }
        using (source)
        {
            if (!source!.TryDecode(0.125, out var bitmap, out reason))
            {
                return reason;
            }
            bitmap!.Dispose();
            return null;
        }
    }
}
