namespace Holdout.Imaging;

/// <summary>Checks that an image file can be used: it opens by content and its data decodes completely.</summary>
internal static class ImageCheck
{
    /// <summary>
    /// Decodes <paramref name="path"/> (JPEG at a reduced scale, which still reads the whole stream) and returns null
    /// when it is usable, else the reason (empty, not an image, unsupported format, truncated, undecodable).
    /// </summary>
    /// <param name="path">The image file.</param>
    public static string? Check(string path)
    {
        if (!ImageSource.TryOpen(path, out var source, out var reason))
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
