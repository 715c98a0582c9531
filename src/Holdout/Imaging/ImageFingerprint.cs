namespace Holdout.Imaging;

/// <summary>
/// What identifies an image's content: a hash of its exact decoded pixels (same pixels = exact duplicate) and two
/// 64-bit perceptual hashes (dHash and pHash, see <see cref="PerceptualHash"/>) that stay close when the same photo
/// is re-encoded or resized.
/// </summary>
/// <param name="Path">The image file.</param>
/// <param name="Width">Width of the hashed pixels (orientation applied): the image's own up to 16.8 megapixels;
/// larger images are hashed reduced to about that size (see <see cref="ImageSource"/>), so two copies of one large
/// file still match exactly.</param>
/// <param name="Height">Height of the hashed pixels.</param>
/// <param name="PixelHash">SHA-256 of the size and the 8-bit RGB pixels, hex.</param>
/// <param name="DifferenceHash">dHash: 64 bits, 9x8 grey thumbnail, one bit per horizontal neighbour comparison.</param>
/// <param name="DctHash">pHash: 64 bits, the 8x8 lowest frequencies of a 32x32 grey DCT compared with their median.</param>
/// <param name="Thumbnail">The grey image box-averaged to <see cref="PerceptualHash.ThumbnailSize"/> squared, row by row, one
/// byte per cell: compared directly to confirm that two images whose hashes are close are the same photo.</param>
internal sealed record ImageFingerprint(string Path, int Width, int Height, string PixelHash, ulong DifferenceHash, ulong DctHash, byte[] Thumbnail)
{
    /// <summary>Equal when every field is, the thumbnail compared cell by cell (not as the same array).</summary>
    /// <param name="other">The fingerprint to compare with.</param>
    public bool Equals(ImageFingerprint? other) =>
        other is not null && Path == other.Path && Width == other.Width && Height == other.Height && PixelHash == other.PixelHash &&
        DifferenceHash == other.DifferenceHash && DctHash == other.DctHash && Thumbnail.AsSpan().SequenceEqual(other.Thumbnail);

    /// <summary>A hash consistent with <see cref="Equals(ImageFingerprint?)"/> (the thumbnail is left out: the pixel hash already decides it).</summary>
    public override int GetHashCode() => HashCode.Combine(Path, Width, Height, PixelHash, DifferenceHash, DctHash);
}
