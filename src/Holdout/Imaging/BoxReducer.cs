using SkiaSharp;

namespace Holdout.Imaging;

/// <summary>
/// Shrinks an RGBA 8888 image by a whole factor k, row by row: each output pixel is the rounded mean of the k x k
/// source pixels it covers (fewer at the right and bottom edges, so every source pixel counts). Rows may arrive top
/// down or bottom up (BMP); only one output row of sums is held, so a decoder can feed it scanlines without the full
/// image ever being in memory. The result is opaque (alpha ignored, set to 255).
/// </summary>
internal sealed unsafe class BoxReducer : IDisposable
{
    private readonly int _sourceWidth;
    private readonly int _factor;
    private readonly long[] _sums;
    private SKBitmap? _output;
    private int _group = -1;
    private int _rowsInGroup;

    /// <summary>A reducer from <paramref name="source"/> to the smallest whole-factor size still at least <paramref name="need"/>.</summary>
    public BoxReducer(SKSizeI source, SKSizeI need)
    {
        _sourceWidth = source.Width;
        _factor = Factor(source, need);
        var width = (source.Width + _factor - 1) / _factor;
        var height = (source.Height + _factor - 1) / _factor;
        _sums = _factor == 1 ? [] : new long[3 * width];
        _output = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
    }

    /// <summary>The whole factor that keeps both sides at least <paramref name="need"/> (1 when no reduction fits).</summary>
    public static int Factor(SKSizeI source, SKSizeI need) =>
        Math.Max(1, Math.Min(source.Width / Math.Max(1, need.Width), source.Height / Math.Max(1, need.Height)));

    /// <summary>
    /// Reduces a decoded bitmap to at least <paramref name="need"/>; returns it unchanged when no whole factor of 2 or
    /// more fits, else a new bitmap (and disposes <paramref name="bitmap"/>).
    /// </summary>
    public static SKBitmap Reduce(SKBitmap bitmap, SKSizeI need)
    {
        var size = new SKSizeI(bitmap.Width, bitmap.Height);
        if (Factor(size, need) < 2)
        {
            return bitmap;
        }
        using var reducer = new BoxReducer(size, need);
        var pixels = (byte*)bitmap.GetPixels();
        for (var y = 0; y < bitmap.Height; y++)
        {
            reducer.AddRow(y, pixels + (long)y * bitmap.RowBytes);
        }
        bitmap.Dispose();
        return reducer.Finish();
    }

    /// <summary>Adds source row <paramref name="y"/> (RGBA 8888, <c>sourceWidth</c> pixels).</summary>
    public void AddRow(int y, byte* row)
    {
        if (_factor == 1)
        {
            // Nothing to average (no whole factor fits): the row is the output row.
            var output = _output!;
            var target = (byte*)output.GetPixels() + (long)y * output.RowBytes;
            Buffer.MemoryCopy(row, target, output.RowBytes, 4L * _sourceWidth);
            for (var x = 0; x < _sourceWidth; x++)
            {
                target[4 * x + 3] = 255;
            }
            return;
        }
        var group = y / _factor;
        if (group != _group)
        {
            Flush();
            _group = group;
        }
        _rowsInGroup++;
        for (var x = 0; x < _sourceWidth; x++)
        {
            var cell = 3 * (x / _factor);
            var pixel = row + 4 * x;
            _sums[cell] += pixel[0];
            _sums[cell + 1] += pixel[1];
            _sums[cell + 2] += pixel[2];
        }
    }

    /// <summary>Writes the last row group and hands over the reduced bitmap (the caller disposes it).</summary>
    public SKBitmap Finish()
    {
        Flush();
        var output = _output!;
        _output = null;
        return output;
    }

    private void Flush()
    {
        if (_group < 0 || _rowsInGroup == 0)
        {
            return;
        }
        var output = _output!;
        var target = (byte*)output.GetPixels() + (long)_group * output.RowBytes;
        for (var cell = 0; cell < output.Width; cell++)
        {
            long count = (long)Math.Min(_factor, _sourceWidth - cell * _factor) * _rowsInGroup;
            for (var c = 0; c < 3; c++)
            {
                target[4 * cell + c] = (byte)((_sums[3 * cell + c] + count / 2) / count);
            }
            target[4 * cell + 3] = 255;
        }
        Array.Clear(_sums);
        _rowsInGroup = 0;
    }

    public void Dispose() => _output?.Dispose();
}
