using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// An image file opened by content (not by extension) whose header has been read: format, size as displayed (EXIF
/// orientation applied) and a codec ready to decode it, optionally scaled down while decoding (JPEG). Decoded pixels
/// are always 8-bit RGB (grayscale, palette, CMYK, 16-bit and alpha images are converted; alpha is dropped as in
/// PIL's <c>convert("RGB")</c>), with the EXIF orientation applied.
/// </summary>
internal sealed class ImageSource : IDisposable
{
    private readonly SKData _data;
    private readonly SKCodec _codec;

    private ImageSource(string path, SKData data, SKCodec codec)
    {
        Path = path;
        _data = data;
        _codec = codec;
        Format = codec.EncodedFormat;
        Origin = codec.EncodedOrigin;
        var info = codec.Info;
        var swap = SwapsAxes(Origin);
        Width = swap ? info.Height : info.Width;
        Height = swap ? info.Width : info.Height;
    }

    /// <summary>The file this image was read from.</summary>
    public string Path { get; }

    /// <summary>The encoded format found from the file's content.</summary>
    public SKEncodedImageFormat Format { get; }

    /// <summary>The EXIF orientation stored in the file; decoding applies it.</summary>
    public SKEncodedOrigin Origin { get; }

    /// <summary>Width as displayed, after the EXIF orientation.</summary>
    public int Width { get; }

    /// <summary>Height as displayed, after the EXIF orientation.</summary>
    public int Height { get; }

    /// <summary>The formats Holdout reads: JPEG, PNG, BMP, GIF (first frame) and WebP.</summary>
    public static IReadOnlyList<SKEncodedImageFormat> SupportedFormats { get; } =
        [SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif, SKEncodedImageFormat.Webp];

    /// <summary>
    /// Opens <paramref name="path"/> and reads its header, or says why it cannot be read.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="source">The opened image when the result is true; dispose it.</param>
    /// <param name="reason">Why the file cannot be read when the result is false (empty, not an image, unsupported format, I/O error).</param>
    /// <returns>True when the header was read and the format is supported.</returns>
    public static bool TryOpen(string path, out ImageSource? source, out string? reason)
    {
        source = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot be read: {e.Message}";
            return false;
        }
        return TryOpen(path, bytes, out source, out reason);
    }

    /// <summary>Opens an image held in memory (see <see cref="TryOpen(string, out ImageSource?, out string?)"/>).</summary>
    /// <param name="path">The name reported in messages.</param>
    /// <param name="bytes">The encoded file content.</param>
    /// <param name="source">The opened image when the result is true; dispose it.</param>
    /// <param name="reason">Why it cannot be read when the result is false.</param>
    /// <returns>True when the header was read and the format is supported.</returns>
    public static bool TryOpen(string path, byte[] bytes, out ImageSource? source, out string? reason)
    {
        source = null;
        if (bytes.Length == 0)
        {
            reason = "empty file (0 bytes)";
            return false;
        }
        var data = SKData.CreateCopy(bytes);
        var codec = SKCodec.Create(new SKMemoryStream(data), out var result);
        if (codec is null)
        {
            data.Dispose();
            reason = result == SKCodecResult.IncompleteInput
                ? "truncated: the file ends before the image header is complete"
                : "not an image: the content is not JPEG, PNG, BMP, GIF or WebP";
            return false;
        }
        if (!SupportedFormats.Contains(codec.EncodedFormat))
        {
            codec.Dispose();
            data.Dispose();
            reason = $"unsupported image format {codec.EncodedFormat} (expected JPEG, PNG, BMP, GIF or WebP)";
            return false;
        }
        if (codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            codec.Dispose();
            data.Dispose();
            reason = "undecodable: the header gives an empty image size";
            return false;
        }
        source = new ImageSource(path, data, codec);
        reason = null;
        return true;
    }

    /// <summary>Opens <paramref name="path"/> or throws a <see cref="HoldoutException"/> naming the file and the reason.</summary>
    /// <param name="path">The image file.</param>
    public static ImageSource Open(string path)
    {
        if (!TryOpen(path, out var source, out var reason))
        {
            throw new HoldoutException($"Cannot read image '{path}': {reason?.TrimEnd('.')}. Replace or remove the file.");
        }
        return source!;
    }

    /// <summary>
    /// Decodes the image to 8-bit RGB with its orientation applied, scaled down while decoding where the format
    /// allows it (JPEG: by 1/8 steps) as long as both sides stay at least <paramref name="minimumScale"/> times the
    /// full size. The returned bitmap is opaque RGBA 8888 (alpha 255); dispose it.
    /// </summary>
    /// <param name="minimumScale">The smallest acceptable scale (0..1]; 1 (the default) decodes at full size.</param>
    /// <exception cref="HoldoutException">The file is truncated or its data cannot be decoded.</exception>
    public SKBitmap Decode(double minimumScale = 1.0)
    {
        if (!TryDecode(minimumScale, out var bitmap, out var reason))
        {
            throw new HoldoutException($"Cannot decode image '{Path}': {reason?.TrimEnd('.')}. Replace or remove the file.");
        }
        return bitmap!;
    }

    /// <summary>Decodes like <see cref="Decode"/> but reports a failure (truncated, corrupt data) instead of throwing.</summary>
    /// <param name="minimumScale">The smallest acceptable scale (0..1]; defaults to 1 (full size).</param>
    /// <param name="bitmap">The decoded, oriented, opaque RGBA 8888 bitmap when the result is true.</param>
    /// <param name="reason">Why decoding failed when the result is false.</param>
    public bool TryDecode(double minimumScale, out SKBitmap? bitmap, out string? reason) =>
        TryDecode(minimumScale, null, out bitmap, out reason);

    /// <summary>
    /// Decodes into <paramref name="buffer"/>'s memory when given (no allocation per image): the bitmap is only
    /// valid until the buffer's next use. Orientation other than top-left still allocates a new bitmap.
    /// </summary>
    internal bool TryDecode(double minimumScale, PixelBuffer? buffer, out SKBitmap? bitmap, out string? reason)
    {
        bitmap = null;
        var full = _codec.Info;
        var size = ChooseDecodeSize(minimumScale);
        var opaque = full.AlphaType == SKAlphaType.Opaque;
        var result = DecodeInto(size, opaque, buffer, out var decoded);
        if (result == SKCodecResult.InvalidScale && (size.Width != full.Width || size.Height != full.Height))
        {
            decoded.Dispose();
            result = DecodeInto(new SKSizeI(full.Width, full.Height), opaque, buffer, out decoded);
        }
        if (result != SKCodecResult.Success)
        {
            decoded.Dispose();
            reason = result switch
            {
                SKCodecResult.IncompleteInput => "truncated: the image data ends early",
                SKCodecResult.ErrorInInput => "undecodable: the image data is corrupt",
                _ => $"undecodable: the decoder reported {result}",
            };
            return false;
        }
        bitmap = ApplyOrigin(decoded, Origin);
        reason = null;
        return true;
    }

    /// <summary>The full-size encoded (not oriented) dimensions.</summary>
    internal SKSizeI EncodedSize => new(_codec.Info.Width, _codec.Info.Height);

    private SKSizeI ChooseDecodeSize(double minimumScale)
    {
        var full = _codec.Info;
        if (minimumScale >= 1.0 || Format != SKEncodedImageFormat.Jpeg)
        {
            return new SKSizeI(full.Width, full.Height);
        }
        var needWidth = (int)Math.Ceiling(full.Width * minimumScale);
        var needHeight = (int)Math.Ceiling(full.Height * minimumScale);
        for (var eighths = 1; eighths < 8; eighths++)
        {
            var size = _codec.GetScaledDimensions(eighths / 8f);
            if (size.Width >= needWidth && size.Height >= needHeight && size.Width > 0 && size.Height > 0)
            {
                return size;
            }
        }
        return new SKSizeI(full.Width, full.Height);
    }

    /// <summary>
    /// Decodes into an opaque RGBA 8888 bitmap. Images with alpha are decoded unpremultiplied into the same memory
    /// and their alpha set to 255, so the colour channels keep their stored values (as PIL's convert("RGB")).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe SKCodecResult DecodeInto(SKSizeI size, bool opaque, PixelBuffer? buffer, out SKBitmap decoded)
    {
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        if (buffer is null)
        {
            decoded = new SKBitmap(info);
        }
        else
        {
            decoded = new SKBitmap();
            decoded.InstallPixels(info, buffer.Reserve(info.BytesSize64), info.RowBytes);
        }
        var target = opaque ? info : info.WithAlphaType(SKAlphaType.Unpremul);
        var result = _codec.GetPixels(target, decoded.GetPixels());
        if (result == SKCodecResult.Success && !opaque)
        {
            var pixels = (byte*)decoded.GetPixels();
            var count = (long)decoded.RowBytes * decoded.Height;
            for (long i = 3; i < count; i += 4)
            {
                pixels[i] = 255;
            }
        }
        return result;
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

    /// <inheritdoc/>
    public void Dispose()
    {
        _codec.Dispose();
        _data.Dispose();
    }
}
