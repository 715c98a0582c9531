using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// Bounded large-image decode: images over <see cref="LargeImagePixels"/> are decoded one at a time and reduced while
/// decoding wherever the codec can (JPEG DCT scaling and box averaging of scanlines, BMP and PNG scanlines, WebP and
/// GIF scaled decode), so memory follows the size asked for rather than the file's.
/// </summary>
internal sealed partial class ImageSource
{
    /// <summary>Large images: reduced while decoding where the codec can, so memory follows the size asked for.</summary>
    private unsafe SKCodecResult DecodeLarge(double minimumScale, out SKBitmap? decoded)
    {
        var full = new SKSizeI(_codec.Info.Width, _codec.Info.Height);
        var need = new SKSizeI(
            Math.Max(1, (int)Math.Ceiling(full.Width * minimumScale)),
            Math.Max(1, (int)Math.Ceiling(full.Height * minimumScale)));
        switch (Format)
        {
            case SKEncodedImageFormat.Jpeg:
                return DecodeScanlines(ChooseDecodeSize(minimumScale), need, out decoded);
            case SKEncodedImageFormat.Bmp:
                return DecodeScanlines(full, need, out decoded);
            case SKEncodedImageFormat.Webp:
            case SKEncodedImageFormat.Gif:
                var scaled = Format == SKEncodedImageFormat.Webp ? need : SampledSizeAtLeast(need);
                var result = DecodeInto(scaled, Opaque, null, out var whole);
                if (result == SKCodecResult.InvalidScale && scaled != full)
                {
                    whole.Dispose();
                    result = DecodeInto(full, Opaque, null, out whole);
                }
                decoded = result == SKCodecResult.Success ? BoxReducer.Reduce(whole, need) : whole;
                return result;
            default:
                var streamed = PngScanlines.Decode((byte*)_data.Data, _data.Size, full, need, out decoded);
                if (streamed != SKCodecResult.Unimplemented)
                {
                    return streamed;
                }
                var fullResult = DecodeInto(full, Opaque, null, out var fullBitmap);
                decoded = fullResult == SKCodecResult.Success ? BoxReducer.Reduce(fullBitmap, need) : fullBitmap;
                return fullResult;
        }
    }

    /// <summary>The smallest size the codec samples to (GIF) that is still at least <paramref name="need"/>.</summary>
    private SKSizeI SampledSizeAtLeast(SKSizeI need)
    {
        var full = _codec.Info;
        var best = new SKSizeI(full.Width, full.Height);
        for (var sample = 2; sample <= 64; sample++)
        {
            var size = _codec.GetScaledDimensions(1f / sample);
            if (size.Width < need.Width || size.Height < need.Height || size.Width <= 0 || size.Height <= 0)
            {
                break;
            }
            best = size;
        }
        return best;
    }

    /// <summary>
    /// Decodes at <paramref name="size"/> row by row, box-averaging each group of rows into the bitmap as they
    /// arrive, so only one row of <paramref name="size"/> and the reduced result are ever held.
    /// </summary>
    private unsafe SKCodecResult DecodeScanlines(SKSizeI size, SKSizeI need, out SKBitmap? decoded)
    {
        decoded = null;
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var start = _codec.StartScanlineDecode(info);
        if (start != SKCodecResult.Success)
        {
            // No scanline decoder for this file: decode whole, then reduce.
            var result = DecodeInto(size, Opaque, null, out var whole);
            decoded = result == SKCodecResult.Success ? BoxReducer.Reduce(whole, need) : whole;
            return result;
        }
        using var reducer = new BoxReducer(size, need);
        var row = new byte[info.RowBytes];
        fixed (byte* pointer = row)
        {
            for (var i = 0; i < size.Height; i++)
            {
                var y = _codec.NextScanline;
                if (_codec.GetScanlines((IntPtr)pointer, 1, info.RowBytes) != 1 || y < 0 || y >= size.Height)
                {
                    return SKCodecResult.IncompleteInput;
                }
                reducer.AddRow(y, pointer);
            }
        }
        decoded = reducer.Finish();
        return SKCodecResult.Success;
    }
}
