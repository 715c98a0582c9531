namespace Holdout.Explaining;

/// <summary>
/// A non-negative heatmap on a coarse grid (a ResNet's 7 x 7 at 224 px) scaled so its peak is 1, read as covering the
/// whole image: cell (x, y) stands for the rectangle [x/W, (x+1)/W) x [y/H, (y+1)/H) of the image in normalised
/// coordinates. Shares of its mass in a region integrate the cells' values over their overlap with the region.
/// </summary>
public sealed class Heatmap
{
    private readonly float[] _values;
    private readonly double _total;

    private Heatmap(int width, int height, float[] values)
    {
        Width = width;
        Height = height;
        _values = values;
        _total = values.Sum(v => (double)v);
    }

    /// <summary>Cells across.</summary>
    public int Width { get; }

    /// <summary>Cells down.</summary>
    public int Height { get; }

    /// <summary>Row-major cell values in 0..1 (the peak is 1 unless the map is empty).</summary>
    public IReadOnlyList<float> Values => _values;

    /// <summary>True when no cell is positive: the explained class has no positive evidence anywhere.</summary>
    public bool IsEmpty => _total <= 0;

    /// <summary>The value of cell (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public float this[int x, int y] => _values[y * Width + x];

    /// <summary>A heatmap from raw non-negative values (row-major), scaled so the largest is 1.</summary>
    /// <param name="width">Cells across.</param>
    /// <param name="height">Cells down.</param>
    /// <param name="values">width x height values; negative and non-finite values count as 0.</param>
    public static Heatmap Normalised(int width, int height, ReadOnlySpan<float> values)
    {
        if (width <= 0 || height <= 0 || values.Length != width * height)
        {
            throw new ArgumentException($"A {width} x {height} heatmap needs {width * height} values, not {values.Length}.", nameof(values));
        }
        var copy = new float[values.Length];
        var peak = 0f;
        for (var i = 0; i < values.Length; i++)
        {
            var v = float.IsFinite(values[i]) && values[i] > 0 ? values[i] : 0f;
            copy[i] = v;
            peak = Math.Max(peak, v);
        }
        if (peak > 0)
        {
            for (var i = 0; i < copy.Length; i++) copy[i] /= peak;
        }
        return new Heatmap(width, height, copy);
    }

    /// <summary>The centre of the hottest cell, in normalised image coordinates (0..1, origin top-left).</summary>
    public (double X, double Y) Peak
    {
        get
        {
            var best = 0;
            for (var i = 1; i < _values.Length; i++)
            {
                if (_values[i] > _values[best]) best = i;
            }
            return ((best % Width + 0.5) / Width, (best / Width + 0.5) / Height);
        }
    }

    /// <summary>
    /// The share of the heatmap's mass inside a rectangle given in normalised image coordinates (clipped to the
    /// image); NaN for an empty map.
    /// </summary>
    /// <param name="region">The rectangle.</param>
    public double ShareIn(ImageRegion region)
    {
        if (IsEmpty) return double.NaN;
        var (x0, y0, x1, y1) = (Math.Clamp(region.Left, 0, 1), Math.Clamp(region.Top, 0, 1), Math.Clamp(region.Right, 0, 1), Math.Clamp(region.Bottom, 0, 1));
        if (x1 <= x0 || y1 <= y0) return 0;
        double sum = 0;
        for (var y = 0; y < Height; y++)
        {
            var overlapY = Overlap(y, Height, y0, y1);
            if (overlapY <= 0) continue;
            for (var x = 0; x < Width; x++)
            {
                var overlapX = Overlap(x, Width, x0, x1);
                if (overlapX > 0) sum += _values[y * Width + x] * overlapX * overlapY;
            }
        }
        return sum / _total;
    }

    /// <summary>The share of the mass in a band of <paramref name="width"/> (a fraction of each side) along the four edges.</summary>
    /// <param name="width">The band's width as a fraction of the image's side, 0..0.5.</param>
    public double BorderShare(double width = 0.1) =>
        IsEmpty ? double.NaN : 1 - ShareIn(new ImageRegion(width, width, 1 - width, 1 - width));

    /// <summary>The shares of the mass in the four quadrants: top-left, top-right, bottom-left, bottom-right.</summary>
    public (double TopLeft, double TopRight, double BottomLeft, double BottomRight) Quadrants =>
        (ShareIn(new ImageRegion(0, 0, 0.5, 0.5)), ShareIn(new ImageRegion(0.5, 0, 1, 0.5)),
         ShareIn(new ImageRegion(0, 0.5, 0.5, 1)), ShareIn(new ImageRegion(0.5, 0.5, 1, 1)));

    /// <summary>The heatmap resampled bilinearly to <paramref name="width"/> x <paramref name="height"/> pixels (row-major, 0..1), for overlays.</summary>
    /// <param name="width">Pixels across.</param>
    /// <param name="height">Pixels down.</param>
    public float[] Resize(int width, int height)
    {
        var result = new float[width * height];
        for (var py = 0; py < height; py++)
        {
            var gy = Math.Clamp((py + 0.5) * Height / height - 0.5, 0, Height - 1);
            var y0 = (int)gy;
            var y1 = Math.Min(y0 + 1, Height - 1);
            var fy = gy - y0;
            for (var px = 0; px < width; px++)
            {
                var gx = Math.Clamp((px + 0.5) * Width / width - 0.5, 0, Width - 1);
                var x0 = (int)gx;
                var x1 = Math.Min(x0 + 1, Width - 1);
                var fx = gx - x0;
                var top = this[x0, y0] * (1 - fx) + this[x1, y0] * fx;
                var bottom = this[x0, y1] * (1 - fx) + this[x1, y1] * fx;
                result[py * width + px] = (float)(top * (1 - fy) + bottom * fy);
            }
        }
        return result;
    }

    /// <summary>The heatmap averaged onto a coarser <paramref name="size"/> x <paramref name="size"/> grid, its mass summing to 1 (for clustering maps of any grid).</summary>
    /// <param name="size">Cells per side.</param>
    public double[] Pooled(int size)
    {
        var result = new double[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                result[y * size + x] = IsEmpty ? 1.0 / (size * size)
                    : ShareIn(new ImageRegion((double)x / size, (double)y / size, (x + 1.0) / size, (y + 1.0) / size));
            }
        }
        return result;
    }

    /// <summary>The length of cell <paramref name="index"/>'s span (of <paramref name="cells"/>) inside [a, b), in image units.</summary>
    private static double Overlap(int index, int cells, double a, double b)
    {
        var start = (double)index / cells;
        var end = (index + 1.0) / cells;
        return Math.Max(0, Math.Min(end, b) - Math.Max(start, a)) * cells;
    }
}

/// <summary>A rectangle in normalised image coordinates (0..1 across and down, origin top-left).</summary>
/// <param name="Left">Left edge.</param>
/// <param name="Top">Top edge.</param>
/// <param name="Right">Right edge.</param>
/// <param name="Bottom">Bottom edge.</param>
public readonly record struct ImageRegion(double Left, double Top, double Right, double Bottom)
{
    /// <summary>The share of the image's area the region covers (clipped to the image).</summary>
    public double Area => Math.Max(0, Math.Min(Right, 1) - Math.Max(Left, 0)) * Math.Max(0, Math.Min(Bottom, 1) - Math.Max(Top, 0));

    /// <summary>Where the region lies, in words: "bottom-right corner", "top edge", "centre", ...</summary>
    public string Describe()
    {
        var cx = (Left + Right) / 2;
        var cy = (Top + Bottom) / 2;
        var across = cx < 1 / 3.0 ? "left" : cx > 2 / 3.0 ? "right" : null;
        var down = cy < 1 / 3.0 ? "top" : cy > 2 / 3.0 ? "bottom" : null;
        return (down, across) switch
        {
            (null, null) => "centre",
            ({ } d, { } a) => $"{d}-{a} corner",
            ({ } d, null) => $"{d} edge",
            (null, { } a) => $"{a} edge",
        };
    }
}
