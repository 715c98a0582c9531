using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// Region decode and orientation: decoding only the rectangle a training crop needs (libjpeg-turbo crops columns and
/// skips rows), and applying the EXIF orientation to what was decoded.
/// </summary>
internal sealed partial class ImageSource
{
    /// <summary>
    /// True when <see cref="TryDecodeRegion"/> can decode a rectangle of this image: a JPEG of ordinary size (not over
    /// <see cref="LargeImagePixels"/>) stored upright, so encoded and displayed coordinates are the same.
    /// </summary>
    internal bool SupportsRegionDecode =>
        Format == SKEncodedImageFormat.Jpeg && Origin == SKEncodedOrigin.TopLeft && EncodedPixels <= LargeImagePixels;

    /// <summary>
    /// The size <see cref="TryDecode(double, out SKBitmap?, out string?)"/> decodes at for <paramref name="minimumScale"/>
    /// (JPEG: the smallest 1/8 step whose sides are still at least that fraction of the full size).
    /// </summary>
    internal SKSizeI DecodeSizeFor(double minimumScale) =>
        ChooseDecodeSize(double.IsNaN(minimumScale) ? 1.0 : Math.Clamp(minimumScale, 1e-9, 1.0));

    /// <summary>
    /// Decodes only <paramref name="region"/> of the image decoded at <paramref name="size"/> (a size from
    /// <see cref="DecodeSizeFor"/>) into <paramref name="buffer"/>: libjpeg-turbo crops the columns, skips the rows above
    /// and stops below, so a small training crop costs a fraction of the whole decode. The pixels equal the same
    /// rectangle of the whole decode except in the region's outermost column on each side, where the cropped chroma
    /// upsampling sees an edge: callers keep a margin of two pixels around what they read. Only when
    /// <see cref="SupportsRegionDecode"/>; false (nothing thrown) when the codec cannot, so the caller decodes whole and
    /// reports any fault of the file from there.
    /// </summary>
    /// <param name="size">The decoded size of the whole image.</param>
    /// <param name="region">The rectangle wanted, in pixels of <paramref name="size"/>; clipped to it.</param>
    /// <param name="buffer">Memory reused for the pixels: the bitmap is valid until its next use.</param>
    /// <param name="bitmap">The region, opaque RGBA 8888, when the result is true.</param>
    /// <param name="decoded">Where the bitmap lies in the decoded image (the region clipped).</param>
    internal unsafe bool TryDecodeRegion(SKSizeI size, SKRectI region, PixelBuffer buffer, out SKBitmap? bitmap, out SKRectI decoded)
    {
        bitmap = null;
        decoded = SKRectI.Intersect(region, new SKRectI(0, 0, size.Width, size.Height));
        if (!SupportsRegionDecode || decoded.IsEmpty)
        {
            return false;
        }
        try
        {
            var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var columns = new SKRectI(decoded.Left, 0, decoded.Right, size.Height);
            if (_codec.StartScanlineDecode(info, new SKCodecOptions(columns)) != SKCodecResult.Success)
            {
                return false;
            }
            if (decoded.Top > 0 && !_codec.SkipScanlines(decoded.Top))
            {
                return false;
            }
            var regionInfo = new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var result = new SKBitmap();
            result.InstallPixels(regionInfo, buffer.Reserve(regionInfo.BytesSize64), regionInfo.RowBytes);
            if (_codec.GetScanlines(result.GetPixels(), decoded.Height, regionInfo.RowBytes) != decoded.Height)
            {
                result.Dispose();
                return false;
            }
            bitmap = result;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }


    internal static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static SKBitmap ApplyOrigin(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return bitmap;
        }
        var swap = SwapsAxes(origin);
        var width = swap ? bitmap.Height : bitmap.Width;
        var height = swap ? bitmap.Width : bitmap.Height;
        var oriented = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, bitmap.AlphaType));
        using (var canvas = new SKCanvas(oriented))
        {
            canvas.SetMatrix(OriginMatrix(origin, bitmap.Width, bitmap.Height));
            using var paint = new SKPaint { BlendMode = SKBlendMode.Src };
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest), paint);
        }
        bitmap.Dispose();
        return oriented;
    }

    /// <summary>The matrix that maps encoded pixels (width x height) to displayed pixels for an EXIF origin.</summary>
    internal static SKMatrix OriginMatrix(SKEncodedOrigin origin, int width, int height) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, width, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, width, 0, -1, height, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, height, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, height, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, height, -1, 0, width, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, width, 0, 0, 1),
        _ => SKMatrix.Identity,
    };
}
