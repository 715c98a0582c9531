using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// An image file opened by content (not by extension) whose header has been read: format, size as displayed (EXIF
/// orientation applied) and a codec ready to decode it, optionally scaled down while decoding. Decoded pixels
/// are always 8-bit RGB (grayscale, palette, CMYK, 16-bit and alpha images are converted; alpha is dropped as in
/// PIL's <c>convert("RGB")</c>), with the EXIF orientation applied.
/// </summary>
/// <remarks>
/// Memory is bounded by the header: a file whose width x height is over the limit (<see cref="ImageLimits"/>) is
/// refused before any pixel is decoded. Images up to 16.8 megapixels (4096 x 4096) decode exactly as they always
/// have (JPEG scaled by 1/8 steps when a smaller size is enough, other formats at full size). Larger images decode
/// one at a time per process, and reduced while decoding wherever the codec can, so that memory follows the size
/// asked for rather than the file's: JPEG by DCT scaling then box averaging of its scanlines, BMP by box averaging
/// of its scanlines, WebP by libwebp's scaled decode, GIF by the codec's sampling, PNG (whose SkiaSharp 3.119 codec
/// has neither scanline nor scaled decoding) by Holdout's own row-by-row reader (<see cref="PngScanlines"/>) with
/// box averaging. Only interlaced PNGs, and images no whole factor can reduce, still need their full size in memory
/// (at most 4 bytes per pixel of the limit).
/// </remarks>
internal sealed partial class ImageSource : IDisposable
{
    /// <summary>Images with more pixels than this (4096 x 4096) take the bounded-memory path, one at a time.</summary>
    internal const long LargeImagePixels = 4096L * 4096;

    /// <summary>One large decode at a time per process: its working memory is only bounded by the pixel limit.</summary>
    private static readonly SemaphoreSlim LargeDecodes = new(1, 1);

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
    /// Opens <paramref name="path"/> and reads its header, or says why it cannot be read; the pixel limit is
    /// <see cref="ImageLimits.MaxPixels"/>.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="source">The opened image when the result is true; dispose it.</param>
    /// <param name="reason">Why the file cannot be read when the result is false (empty, not an image, unsupported
    /// format, too large, I/O error).</param>
    /// <returns>True when the header was read, the format is supported and the size is within the limit.</returns>
    public static bool TryOpen(string path, out ImageSource? source, out string? reason) =>
        TryOpen(path, ImageLimits.MaxPixels, out source, out reason);

    /// <summary>Opens <paramref name="path"/> with an explicit pixel limit (see <see cref="TryOpen(string, out ImageSource?, out string?)"/>).</summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxPixels">The largest width x height accepted; a larger image is refused with its dimensions.</param>
    /// <param name="source">The opened image when the result is true; dispose it.</param>
    /// <param name="reason">Why the file cannot be read when the result is false.</param>
    /// <returns>True when the header was read, the format is supported and the size is within the limit.</returns>
    public static bool TryOpen(string path, long maxPixels, out ImageSource? source, out string? reason)
    {
        source = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            reason = $"cannot be read: {e.Message}";
            return false;
        }
        return TryOpen(path, bytes, maxPixels, out source, out reason);
    }

    /// <summary>Opens an image held in memory (see <see cref="TryOpen(string, out ImageSource?, out string?)"/>).</summary>
    /// <param name="path">The name reported in messages.</param>
    /// <param name="bytes">The encoded file content.</param>
    /// <param name="source">The opened image when the result is true; dispose it.</param>
    /// <param name="reason">Why it cannot be read when the result is false.</param>
    /// <returns>True when the header was read, the format is supported and the size is within the limit.</returns>
    public static bool TryOpen(string path, byte[] bytes, out ImageSource? source, out string? reason) =>
        TryOpen(path, bytes, ImageLimits.MaxPixels, out source, out reason);

    /// <summary>Opens an image held in memory with an explicit pixel limit.</summary>
    /// <param name="path">The name reported in messages.</param>
    /// <param name="bytes">The encoded file content.</param>
    /// <param name="maxPixels">The largest width x height accepted; a larger image is refused with its dimensions.</param>
    /// <param name="source">The opened image when the result is true; dispose it.</param>
    /// <param name="reason">Why it cannot be read when the result is false.</param>
    /// <returns>True when the header was read, the format is supported and the size is within the limit.</returns>
    public static bool TryOpen(string path, byte[] bytes, long maxPixels, out ImageSource? source, out string? reason)
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
        reason = !SupportedFormats.Contains(codec.EncodedFormat)
            ? $"unsupported image format {codec.EncodedFormat} (expected JPEG, PNG, BMP, GIF or WebP)"
            : codec.Info.Width <= 0 || codec.Info.Height <= 0
                ? "undecodable: the header gives an empty image size"
                : SwapsAxes(codec.EncodedOrigin)
                    ? ImageLimits.Refusal(codec.Info.Height, codec.Info.Width, maxPixels)
                    : ImageLimits.Refusal(codec.Info.Width, codec.Info.Height, maxPixels);
        if (reason is not null)
        {
            codec.Dispose();
            data.Dispose();
            return false;
        }
        source = new ImageSource(path, data, codec);
        return true;
    }

    /// <summary>Opens <paramref name="path"/> or throws a <see cref="HoldoutException"/> naming the file and the reason.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxPixels">The largest width x height accepted. Defaults to <see cref="ImageLimits.MaxPixels"/>.</param>
    public static ImageSource Open(string path, long? maxPixels = null)
    {
        if (!TryOpen(path, maxPixels ?? ImageLimits.MaxPixels, out var source, out var reason))
        {
            throw new HoldoutException($"Cannot read image '{path}': {reason?.TrimEnd('.')}. Replace or remove the file.");
        }
        return source!;
    }

    /// <summary>
    /// Decodes the image to 8-bit RGB with its orientation applied, scaled down while decoding where the format
    /// allows it (JPEG: by 1/8 steps; images over 16.8 megapixels: see the remarks of <see cref="ImageSource"/>) as
    /// long as both sides stay at least <paramref name="minimumScale"/> times the full size. The returned bitmap is
    /// opaque RGBA 8888 (alpha 255); dispose it.
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

    /// <summary>Decodes like <see cref="Decode"/> but reports any failure (truncated, corrupt data) instead of throwing.</summary>
    /// <param name="minimumScale">The smallest acceptable scale (0..1]; defaults to 1 (full size).</param>
    /// <param name="bitmap">The decoded, oriented, opaque RGBA 8888 bitmap when the result is true.</param>
    /// <param name="reason">Why decoding failed when the result is false.</param>
    public bool TryDecode(double minimumScale, out SKBitmap? bitmap, out string? reason) =>
        TryDecode(minimumScale, null, out bitmap, out reason);

    /// <summary>
    /// The scale at which <see cref="ImageProperties"/> and <see cref="PerceptualHash"/> look at an image: full size
    /// up to 16.8 megapixels (so fingerprints are of the exact pixels), else reduced to about that many pixels.
    /// </summary>
    internal double AnalysisScale => EncodedPixels <= LargeImagePixels ? 1.0 : Math.Sqrt(LargeImagePixels / (double)EncodedPixels);

    /// <summary>
    /// Decodes into <paramref name="buffer"/>'s memory when given (no allocation per image): the bitmap is only
    /// valid until the buffer's next use. Orientation other than top-left, and large images, still allocate a new
    /// bitmap. Never throws for a bad file: any failure of the codec is a reason.
    /// </summary>
    internal bool TryDecode(double minimumScale, PixelBuffer? buffer, out SKBitmap? bitmap, out string? reason)
    {
        bitmap = null;
        minimumScale = double.IsNaN(minimumScale) ? 1.0 : Math.Clamp(minimumScale, 1e-9, 1.0);
        SKBitmap? decoded = null;
        try
        {
            SKCodecResult result;
            if (EncodedPixels <= LargeImagePixels)
            {
                result = DecodeOrdinary(minimumScale, buffer, out decoded);
            }
            else
            {
                LargeDecodes.Wait();
                try
                {
                    result = DecodeLarge(minimumScale, out decoded);
                }
                finally
                {
                    LargeDecodes.Release();
                }
            }
            if (result != SKCodecResult.Success)
            {
                decoded?.Dispose();
                reason = result switch
                {
                    SKCodecResult.IncompleteInput => "truncated: the image data ends early",
                    SKCodecResult.ErrorInInput => "undecodable: the image data is corrupt",
                    _ => $"undecodable: the decoder reported {result}",
                };
                return false;
            }
            bitmap = ApplyOrigin(decoded!, Origin);
            reason = null;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A codec or allocation failure on a hostile file is a reason for that file, never a crash of the caller.
            decoded?.Dispose();
            reason = $"undecodable: {e.Message.TrimEnd('.')}";
            return false;
        }
    }

    /// <summary>The full-size encoded (not oriented) dimensions.</summary>
    internal SKSizeI EncodedSize => new(_codec.Info.Width, _codec.Info.Height);

    /// <summary>Encoded width x height.</summary>
    internal long EncodedPixels => (long)_codec.Info.Width * _codec.Info.Height;

    private bool Opaque => _codec.Info.AlphaType == SKAlphaType.Opaque;

    /// <summary>Images up to <see cref="LargeImagePixels"/>: exactly the decode Holdout has always done.</summary>
    private SKCodecResult DecodeOrdinary(double minimumScale, PixelBuffer? buffer, out SKBitmap decoded)
    {
        var full = _codec.Info;
        var size = ChooseDecodeSize(minimumScale);
        var result = DecodeInto(size, Opaque, buffer, out decoded);
        if (result == SKCodecResult.InvalidScale && (size.Width != full.Width || size.Height != full.Height))
        {
            decoded.Dispose();
            result = DecodeInto(new SKSizeI(full.Width, full.Height), Opaque, buffer, out decoded);
        }
        return result;
    }

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

    /// <inheritdoc/>
    public void Dispose()
    {
        _codec.Dispose();
        _data.Dispose();
    }
}
