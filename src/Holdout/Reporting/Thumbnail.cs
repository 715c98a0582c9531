using SkiaSharp;

namespace Holdout.Reporting;

/// <summary>Small JPEG thumbnails for the report's gallery.</summary>
internal static class Thumbnail
{
    /// <summary>
    /// Decodes an image (from bytes when given, else from the file) and returns a JPEG that fits in
    /// <paramref name="maxSide"/> × <paramref name="maxSide"/>, on white where it was transparent; <c>null</c> when the
    /// image cannot be read or decoded.
    /// </summary>
    internal static byte[]? Jpeg(string? path, byte[]? bytes, int maxSide = 160, int quality = 82)
    {
        try
        {
            using var data = bytes is not null ? SKData.CreateCopy(bytes) : path is not null && File.Exists(path) ? SKData.Create(path) : null;
            if (data is null) return null;
            using var codec = SKCodec.Create(data);
            if (codec is null) return null;
            // Decode at a reduced scale when the codec can (JPEG), then finish with a smooth resize.
            var scale = Math.Min(1f, 2f * maxSide / Math.Max(codec.Info.Width, codec.Info.Height));
            var decodeSize = codec.GetScaledDimensions(scale);
            using var bitmap = new SKBitmap(new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
            var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput)) return null;

            var fit = Math.Min(1.0, (double)maxSide / Math.Max(bitmap.Width, bitmap.Height));
            var width = Math.Max(1, (int)Math.Round(bitmap.Width * fit));
            var height = Math.Max(1, (int)Math.Round(bitmap.Height * fit));
            using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
            surface.Canvas.Clear(SKColors.White);
            using var image = SKImage.FromBitmap(bitmap);
            surface.Canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            using var snapshot = surface.Snapshot();
            using var encoded = snapshot.Encode(SKEncodedImageFormat.Jpeg, quality);
            return encoded?.ToArray();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
