using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// Turns one image file into the model's input (3 x size x size floats, channel-major) in a single resampling pass:
/// decode into a reused buffer (JPEG scaled down while decoding when the region allows, and only the region's rows
/// and columns when there is no rotation), then one resampling of the
/// region to size x size — the SIMD separable <see cref="Resampler"/> (antialiased, flips folded in) when there is no
/// rotation, else one canvas draw whose matrix does crop, rotation, flips and resize together — then colour jitter
/// and the <see cref="Preprocessing"/> normalisation. One renderer per thread (it owns scratch buffers); not
/// thread-safe.
/// </summary>
internal sealed class SampleRenderer : IDisposable
{
    private readonly Preprocessing _preprocessing;
    private readonly int _size;
    private readonly SKBitmap _target;
    private readonly SKCanvas _canvas;
    private readonly SKPaint _paint = new() { BlendMode = SKBlendMode.Src, IsAntialias = false };
    private readonly float[] _lookup;
    private readonly float[] _multiply;
    private readonly float[] _add;
    private readonly int[] _sourceChannel;
    private readonly PixelBuffer _decodeBuffer = new();
    private readonly long _maxPixels;

    /// <param name="preprocessing">Size, colour order and normalisation of the model input.</param>
    /// <param name="maxPixels">The largest width x height decoded. Defaults to <see cref="ImageLimits.MaxPixels"/>.</param>
    public SampleRenderer(Preprocessing preprocessing, long? maxPixels = null)
    {
        _maxPixels = maxPixels ?? ImageLimits.MaxPixels;
        _preprocessing = preprocessing;
        _size = preprocessing.InputSize;
        _target = new SKBitmap(new SKImageInfo(_size, _size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        _canvas = new SKCanvas(_target);
        _sourceChannel = preprocessing.SourceChannels();
        (_multiply, _add) = preprocessing.ChannelAffine();
        _lookup = new float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                _lookup[c * 256 + v] = v * _multiply[c] + _add[c];
            }
        }
    }

    /// <summary>
    /// Decode only the region an axis-aligned crop reads, where the file allows (upright JPEGs): the same pixels as the
    /// whole decode, in a fraction of the time. True by default; false decodes every image whole.
    /// </summary>
    internal bool RegionDecode { get; init; } = true;

    /// <summary>How many images this renderer drew from a region decode (for tests and probes).</summary>
    internal int RegionDecodes { get; private set; }

    /// <summary>Floats per rendered image: 3 x size x size.</summary>
    public int Length => 3 * _size * _size;

    /// <summary>Renders <paramref name="path"/> into <paramref name="destination"/> (length <see cref="Length"/>).</summary>
    /// <param name="path">The image file.</param>
    /// <param name="draw">Picks the changes from the displayed width and height; null = the evaluation transform.</param>
    /// <param name="destination">Where the normalised channel-major floats go.</param>
    /// <exception cref="HoldoutException">The file cannot be read, is over the pixel limit or cannot be decoded;
    /// any other failure while preparing it is wrapped in one, so the file is always named.</exception>
    public void Render(string path, Func<int, int, AugmentationParameters>? draw, Span<float> destination)
    {
        try
        {
            var parameters = DrawTarget(path, draw);
            WriteFloats(parameters, destination);
        }
        catch (Exception e) when (e is not HoldoutException and not OperationCanceledException)
        {
            throw new HoldoutException($"Cannot prepare image '{path}': {e.Message.TrimEnd('.')}. Replace or remove the file.", e);
        }
    }

    /// <summary>
    /// Renders <paramref name="path"/> with the evaluation transform and copies the resized 8-bit RGB pixels, before
    /// normalisation, row-major and interleaved (size x size x 3), into <paramref name="destination"/>
    /// (length <see cref="Length"/>): the input of a model exported with its preprocessing inside.
    /// </summary>
    public unsafe void RenderPixels(string path, Span<byte> destination)
    {
        try
        {
            DrawTarget(path, null);
        }
        catch (Exception e) when (e is not HoldoutException and not OperationCanceledException)
        {
            throw new HoldoutException($"Cannot prepare image '{path}': {e.Message.TrimEnd('.')}. Replace or remove the file.", e);
        }
        var pixels = (byte*)_target.GetPixels();
        var rowBytes = _target.RowBytes;
        var i = 0;
        for (var y = 0; y < _size; y++)
        {
            var row = pixels + (long)y * rowBytes;
            for (var x = 0; x < _size; x++, i += 3)
            {
                destination[i] = row[4 * x];
                destination[i + 1] = row[4 * x + 1];
                destination[i + 2] = row[4 * x + 2];
            }
        }
    }

    /// <summary>Decodes <paramref name="path"/> and draws it into the target bitmap; returns the transform used.</summary>
    private AugmentationParameters DrawTarget(string path, Func<int, int, AugmentationParameters>? draw)
    {
        using var source = ImageSource.Open(path, _maxPixels);
        var parameters = draw?.Invoke(source.Width, source.Height)
            ?? Augmentation.Evaluation(source.Width, source.Height, _preprocessing.EvalResize, _preprocessing.EvalCrop);
        // Decode just large enough that the region still has at least size pixels each way.
        var minimumScale = Math.Max(_size / parameters.CropWidth, _size / parameters.CropHeight);
        if (parameters.RotationDegrees == 0 && RegionDecode && TryDrawRegion(source, parameters, Math.Min(1.0, minimumScale)))
        {
            return parameters;
        }
        if (!source.TryDecode(Math.Min(1.0, minimumScale), _decodeBuffer, out var decoded, out var reason))
        {
            throw new HoldoutException($"Cannot decode image '{path}': {reason}. Replace or remove the file.");
        }
        using var bitmap = decoded!;
        Draw(bitmap, source.Width, source.Height, parameters);
        return parameters;
    }

    /// <summary>
    /// The axis-aligned case on an upright JPEG: decode only the rows and columns the resampling reads (plus two pixels
    /// each side, see <see cref="ImageSource.TryDecodeRegion"/>) and resample from there, with exactly the result of the
    /// whole decode. False when the image or codec does not allow it.
    /// </summary>
    private unsafe bool TryDrawRegion(ImageSource source, AugmentationParameters p, double minimumScale)
    {
        if (!source.SupportsRegionDecode)
        {
            return false;
        }
        var size = source.DecodeSizeFor(minimumScale);
        var scaleX = (double)size.Width / source.Width;
        var scaleY = (double)size.Height / source.Height;
        var (x0, x1) = Resampler.SourceExtent(p.CropX * scaleX, p.CropWidth * scaleX, size.Width, _size);
        var (y0, y1) = Resampler.SourceExtent(p.CropY * scaleY, p.CropHeight * scaleY, size.Height, _size);
        if (!source.TryDecodeRegion(size, new SKRectI(x0 - 2, y0 - 2, x1 + 2, y1 + 2), _decodeBuffer, out var region, out var decoded))
        {
            return false;
        }
        using (region)
        {
            Resampler.Resize((byte*)region!.GetPixels(), size.Width, size.Height, region.RowBytes,
                p.CropX * scaleX, p.CropY * scaleY, p.CropWidth * scaleX, p.CropHeight * scaleY,
                (byte*)_target.GetPixels(), _size, _target.RowBytes, p.FlipHorizontal, p.FlipVertical, decoded.Left, decoded.Top);
        }
        RegionDecodes++;
        return true;
    }

    private unsafe void Draw(SKBitmap bitmap, int displayedWidth, int displayedHeight, AugmentationParameters p)
    {
        var scaleX = (double)bitmap.Width / displayedWidth;
        var scaleY = (double)bitmap.Height / displayedHeight;
        var regionWidth = p.CropWidth * scaleX;
        var regionHeight = p.CropHeight * scaleY;
        var centreX = (p.CropX + p.CropWidth / 2) * scaleX;
        var centreY = (p.CropY + p.CropHeight / 2) * scaleY;
        if (p.RotationDegrees == 0)
        {
            // Crop + resize + flips: one separable, antialiased resampling pass straight into the target.
            Resampler.Resize((byte*)bitmap.GetPixels(), bitmap.Width, bitmap.Height, bitmap.RowBytes,
                p.CropX * scaleX, p.CropY * scaleY, regionWidth, regionHeight,
                (byte*)_target.GetPixels(), _size, _target.RowBytes, p.FlipHorizontal, p.FlipVertical);
            return;
        }
        var matrix = SKMatrix.CreateTranslation((float)-centreX, (float)-centreY);
        if (p.RotationDegrees != 0)
        {
            matrix = matrix.PostConcat(SKMatrix.CreateRotationDegrees((float)p.RotationDegrees));
        }
        matrix = matrix.PostConcat(SKMatrix.CreateScale(
            (float)(_size / regionWidth) * (p.FlipHorizontal ? -1 : 1),
            (float)(_size / regionHeight) * (p.FlipVertical ? -1 : 1)));
        matrix = matrix.PostConcat(SKMatrix.CreateTranslation(_size / 2f, _size / 2f));

        // Shrinking by 2x or more: sample from mipmaps to avoid aliasing; otherwise bilinear is enough.
        var shrink = Math.Max(regionWidth, regionHeight) / _size;
        var sampling = shrink >= 2
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
            : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
        _canvas.ResetMatrix();
        _canvas.Clear(SKColors.Black);
        _canvas.SetMatrix(matrix);
        using var pixmap = bitmap.PeekPixels();
        using var image = SKImage.FromPixels(pixmap);
        _canvas.DrawImage(image, 0, 0, sampling, _paint);
        _canvas.Flush();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first image: skip the unoptimised tier
    private unsafe void WriteFloats(AugmentationParameters p, Span<float> destination)
    {
        var plane = _size * _size;
        var pixels = (byte*)_target.GetPixels();
        var rowBytes = _target.RowBytes;
        if (!p.HasColorJitter)
        {
            fixed (float* lookup = _lookup)
            fixed (float* output = destination)
            {
                float* out0 = output, out1 = output + plane, out2 = output + 2 * plane;
                // Output channel c reads source byte _sourceChannel[c] through table row c.
                float* lut0 = lookup, lut1 = lookup + 256, lut2 = lookup + 512;
                int s0 = _sourceChannel[0], s1 = _sourceChannel[1], s2 = _sourceChannel[2];
                var i = 0;
                for (var y = 0; y < _size; y++)
                {
                    var row = pixels + (long)y * rowBytes;
                    for (var x = 0; x < _size; x++, i++)
                    {
                        var px = row + 4 * x;
                        out0[i] = lut0[px[s0]];
                        out1[i] = lut1[px[s1]];
                        out2[i] = lut2[px[s2]];
                    }
                }
            }
            return;
        }

        // Colour jitter on 0..255 values, clamped after each step like torchvision: brightness, contrast (blend with
        // the mean grey of the image), saturation (blend with each pixel's grey); then the normalisation.
        var brightness = (float)p.Brightness;
        double greySum = 0;
        for (var y = 0; y < _size; y++)
        {
            var row = pixels + (long)y * rowBytes;
            for (var x = 0; x < _size; x++)
            {
                var px = row + 4 * x;
                greySum += 0.299f * Math.Min(255f, px[0] * brightness) + 0.587f * Math.Min(255f, px[1] * brightness) + 0.114f * Math.Min(255f, px[2] * brightness);
            }
        }
        var meanGrey = (float)(greySum / plane);
        var contrast = (float)p.Contrast;
        var saturation = (float)p.Saturation;
        Span<float> rgb = stackalloc float[3];
        var index = 0;
        for (var y = 0; y < _size; y++)
        {
            var row = pixels + (long)y * rowBytes;
            for (var x = 0; x < _size; x++, index++)
            {
                var px = row + 4 * x;
                for (var c = 0; c < 3; c++)
                {
                    var v = Math.Min(255f, px[c] * brightness);
                    rgb[c] = Math.Clamp((v - meanGrey) * contrast + meanGrey, 0f, 255f);
                }
                var grey = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
                for (var c = 0; c < 3; c++)
                {
                    rgb[c] = Math.Clamp((rgb[c] - grey) * saturation + grey, 0f, 255f);
                }
                for (var c = 0; c < 3; c++)
                {
                    destination[c * plane + index] = rgb[_sourceChannel[c]] * _multiply[c] + _add[c];
                }
            }
        }
    }

    public void Dispose()
    {
        _paint.Dispose();
        _decodeBuffer.Dispose();
        _canvas.Dispose();
        _target.Dispose();
    }
}
