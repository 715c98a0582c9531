using Holdout.Explaining;

namespace Holdout.Tests.Explaining;

/// <summary>The heatmap's arithmetic on grids whose answers are known by hand.</summary>
public sealed class HeatmapTests
{
    /// <summary>A width x height map that is 0 everywhere but <paramref name="value"/> at (x, y).</summary>
    private static Heatmap HotCell(int width, int height, int x, int y, float value = 5f)
    {
        var values = new float[width * height];
        values[y * width + x] = value;
        return Heatmap.Normalised(width, height, values);
    }

    private static Heatmap Uniform(int width, int height) => Heatmap.Normalised(width, height, Enumerable.Repeat(0.3f, width * height).ToArray());

    [Fact]
    public void Should_put_all_of_a_single_hot_cells_mass_in_its_own_cell_and_none_elsewhere()
    {
        // Given a 4 x 4 map whose only positive cell is (2, 1)
        var heatmap = HotCell(4, 4, 2, 1);

        // When the shares of that cell's rectangle, of a neighbour and of the half that holds it are taken
        var own = heatmap.ShareIn(new ImageRegion(0.5, 0.25, 0.75, 0.5));
        var neighbour = heatmap.ShareIn(new ImageRegion(0.25, 0.25, 0.5, 0.5));
        var rightHalf = heatmap.ShareIn(new ImageRegion(0.5, 0, 1, 1));
        var leftHalf = heatmap.ShareIn(new ImageRegion(0, 0, 0.5, 1));

        // Then the cell holds all of it, the neighbour and the other half none; half the cell holds half; it is scaled to 1
        Assert.Equal(1, own, 12);
        Assert.Equal(0, neighbour, 12);
        Assert.Equal(1, rightHalf, 12);
        Assert.Equal(0, leftHalf, 12);
        Assert.Equal(0.5, heatmap.ShareIn(new ImageRegion(0.5, 0.25, 0.625, 0.5)), 12);
        Assert.Equal(1f, heatmap[2, 1]);
        Assert.False(heatmap.IsEmpty);
    }

    [Theory]
    [InlineData(0.0, 0.0, 1.0, 1.0)]
    [InlineData(0.1, 0.2, 0.6, 0.9)]
    [InlineData(0.33, 0.0, 0.34, 1.0)]
    [InlineData(-0.5, -0.5, 0.25, 0.5)]
    public void Should_give_a_uniform_map_a_share_equal_to_the_regions_area(double left, double top, double right, double bottom)
    {
        // Given a uniform 7 x 5 map and a region (possibly reaching outside the image)
        var heatmap = Uniform(7, 5);
        var region = new ImageRegion(left, top, right, bottom);

        // When its share is taken, then it is the region's area inside the image
        Assert.Equal(region.Area, heatmap.ShareIn(region), 12);
    }

    [Fact]
    public void Should_measure_the_border_band_of_uniform_and_hot_maps()
    {
        // Given a uniform 10 x 10 map, a map hot only in a corner cell and one hot only in a middle cell
        var uniform = Uniform(10, 10);
        var corner = HotCell(10, 10, 0, 9);
        var middle = HotCell(10, 10, 5, 4);

        // When the 10 % and 20 % border shares are taken
        // Then the uniform map's is the band's area (1 - 0.8^2, 1 - 0.6^2), the corner's all, the middle's none
        Assert.Equal(1 - 0.8 * 0.8, uniform.BorderShare(), 12);
        Assert.Equal(1 - 0.6 * 0.6, uniform.BorderShare(0.2), 12);
        Assert.Equal(1, corner.BorderShare(), 12);
        Assert.Equal(0, middle.BorderShare(), 12);
    }

    [Fact]
    public void Should_split_the_mass_into_quadrants_that_sum_to_one()
    {
        // Given an odd-sized map with arbitrary values (its middle row and column straddle the quadrants)
        var random = new Random(3);
        var heatmap = Heatmap.Normalised(7, 5, Enumerable.Range(0, 35).Select(_ => (float)random.NextDouble()).ToArray());
        var bottomRight = HotCell(6, 6, 4, 5);

        // When the quadrant shares are taken
        var (tl, tr, bl, br) = heatmap.Quadrants;

        // Then they sum to 1, each is a share, and a hot bottom-right cell puts everything bottom-right
        Assert.Equal(1, tl + tr + bl + br, 12);
        Assert.All(new[] { tl, tr, bl, br }, share => Assert.InRange(share, 0, 1));
        var corner = bottomRight.Quadrants;
        Assert.Equal(new[] { 0.0, 0, 0, 1 }, new[] { corner.TopLeft, corner.TopRight, corner.BottomLeft, corner.BottomRight }.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Should_place_the_peak_at_the_centre_of_the_hottest_cell()
    {
        // Given maps hot at (2, 1) of 4 x 4 and at (0, 0) of 7 x 7
        // When their peaks are read, then they are the cells' centres in normalised coordinates
        Assert.Equal((0.625, 0.375), HotCell(4, 4, 2, 1).Peak);
        Assert.Equal((1 / 14.0, 1 / 14.0), HotCell(7, 7, 0, 0).Peak);
    }

    [Fact]
    public void Should_scale_to_a_peak_of_one_and_treat_negative_and_non_finite_values_as_zero()
    {
        // Given raw values with negatives, NaN, infinity and a largest finite value of 4
        var heatmap = Heatmap.Normalised(3, 2, [4f, -2f, float.NaN, 2f, float.PositiveInfinity, 1f]);

        // Then they are scaled by 1/4, the rest 0; an all-negative map is empty with NaN shares
        Assert.Equal(new[] { 1f, 0f, 0f, 0.5f, 0f, 0.25f }, heatmap.Values);
        var empty = Heatmap.Normalised(2, 2, [-1f, -1f, 0f, -3f]);
        Assert.True(empty.IsEmpty);
        Assert.True(double.IsNaN(empty.BorderShare()));
        Assert.Throws<ArgumentException>(() => Heatmap.Normalised(2, 2, [1f, 2f, 3f]));
    }

    [Fact]
    public void Should_resize_keeping_the_corner_values_and_interpolating_between_them()
    {
        // Given a 2 x 2 map with four distinct corners (0.25, 0.5, 0.75, 1)
        var heatmap = Heatmap.Normalised(2, 2, [1f, 2f, 3f, 4f]);

        // When it is resized to 8 x 6 pixels
        var pixels = heatmap.Resize(8, 6);

        // Then the corner pixels keep the corner cells' values and the middle is their mean
        Assert.Equal(48, pixels.Length);
        Assert.Equal(0.25f, pixels[0], 6);
        Assert.Equal(0.5f, pixels[7], 6);
        Assert.Equal(0.75f, pixels[5 * 8], 6);
        Assert.Equal(1f, pixels[5 * 8 + 7], 6);
        var centre = (pixels[2 * 8 + 3] + pixels[2 * 8 + 4] + pixels[3 * 8 + 3] + pixels[3 * 8 + 4]) / 4;
        Assert.Equal(0.625f, centre, 6);
    }

    [Fact]
    public void Should_pool_onto_a_coarser_grid_whose_mass_sums_to_one()
    {
        // Given a 7 x 7 map hot only in its top-left cell
        var heatmap = HotCell(7, 7, 0, 0);

        // When it is pooled onto 2 x 2, then all the mass is in the top-left cell
        Assert.Equal(new[] { 1.0, 0, 0, 0 }, heatmap.Pooled(2).Select(v => Math.Round(v, 12)));
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.2, 0.2, "top-left corner")]
    [InlineData(0.8, 0.0, 1.0, 0.2, "top-right corner")]
    [InlineData(0.0, 0.8, 0.2, 1.0, "bottom-left corner")]
    [InlineData(0.8, 0.8, 1.0, 1.0, "bottom-right corner")]
    [InlineData(0.4, 0.0, 0.6, 0.1, "top edge")]
    [InlineData(0.4, 0.9, 0.6, 1.0, "bottom edge")]
    [InlineData(0.0, 0.4, 0.1, 0.6, "left edge")]
    [InlineData(0.9, 0.4, 1.0, 0.6, "right edge")]
    [InlineData(0.4, 0.4, 0.6, 0.6, "centre")]
    [InlineData(0.0, 0.0, 1.0, 1.0, "centre")]
    public void Should_describe_where_a_region_lies(double left, double top, double right, double bottom, string expected)
    {
        // When a region is described, then its centre's third across and down names it
        Assert.Equal(expected, new ImageRegion(left, top, right, bottom).Describe());
    }
}
