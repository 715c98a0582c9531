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
internal sealed record ImageFingerprint(string Path, int Width, int Height, string PixelHash, ulong DifferenceHash, ulong DctHash);
