using Holdout.Data;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Tests.Data;

public sealed class DuplicateFinderTests
{
    /// <summary>
    /// A low-detail 100x100 photo like sign-language-digits': a plain, softly lit background and one skin-coloured
    /// hand shape (a palm and 1 to 5 fingers) whose position, size and finger angles depend on the seed.
    /// </summary>
    private static SKBitmap HandOnPlainBackground(int seed)
    {
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(100, 100, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, 100),
            [new SKColor(242, 240, 236), new SKColor(226, 224, 220)], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(0, 0, 100, 100, paint);
        }
        using var skin = new SKPaint { Color = new SKColor(206, 164, 134), IsAntialias = true };
        float cx = 38 + random.Next(25), cy = 62 + random.Next(12), rx = 15 + random.Next(6), ry = 18 + random.Next(6);
        canvas.DrawOval(cx, cy, rx, ry, skin);
        canvas.DrawRect(cx - rx * 0.7f, cy, rx * 1.4f, 100 - cy, skin);
        var fingers = 1 + random.Next(5);
        for (var f = 0; f < fingers; f++)
        {
            canvas.Save();
            canvas.RotateDegrees(-40 + 80f * (f + 0.5f) / fingers + random.Next(-8, 9), cx, cy);
            canvas.DrawRoundRect(cx - 3.5f, cy - ry - 18 - random.Next(10), 7, 30, 3.5f, 3.5f, skin);
            canvas.Restore();
        }
        return bitmap;
    }

    private static byte[] Jpeg(SKBitmap bitmap, int quality = 90)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    private static SKBitmap Decode(byte[] encoded)
    {
        using var decoded = SKBitmap.Decode(encoded);
        return decoded.Copy(SKColorType.Rgba8888);
    }

    private static SKBitmap Resized(SKBitmap bitmap, double factor)
    {
        var info = new SKImageInfo((int)Math.Round(bitmap.Width * factor), (int)Math.Round(bitmap.Height * factor), SKColorType.Rgba8888, SKAlphaType.Opaque);
        return bitmap.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }

    /// <summary>Every colour channel raised by <paramref name="levels"/> (clipped at 255).</summary>
    private static SKBitmap Brightened(SKBitmap bitmap, int levels)
    {
        var copy = bitmap.Copy(SKColorType.Rgba8888);
        for (var y = 0; y < copy.Height; y++)
        {
            for (var x = 0; x < copy.Width; x++)
            {
                var c = copy.GetPixel(x, y);
                static byte Up(byte v, int by) => (byte)Math.Min(255, v + by);
                copy.SetPixel(x, y, new SKColor(Up(c.Red, levels), Up(c.Green, levels), Up(c.Blue, levels)));
            }
        }
        return copy;
    }

    /// <summary>
    /// The copies the finder must recognise, of an encoded photo: JPEG re-encoded at quality 50, resized to half,
    /// brightened by 15 levels, and all of 0.8x, +8 levels and quality 70 at once.
    /// </summary>
    private static IEnumerable<(string Name, byte[] Bytes)> Copies(byte[] original)
    {
        using var bitmap = Decode(original);
        yield return ("q50", Jpeg(bitmap, 50));
        using (var half = Resized(bitmap, 0.5))
        {
            yield return ("half", Jpeg(half));
        }
        using (var bright = Brightened(bitmap, 15))
        {
            yield return ("bright", Jpeg(bright));
        }
        using var small = Resized(bitmap, 0.8);
        using var both = Brightened(small, 8);
        yield return ("all", Jpeg(both, 70));
    }

    [Fact]
    public void Should_group_re_encoded_resized_and_brightened_copies_of_real_photos_with_their_original()
    {
        // Given 12 real bean photos, and for 3 of them a q50 re-encode, a half-size, a +15 brighter and a combined copy
        using var data = new TempFolder();
        var photos = SampleBeans.Take(12);
        var paths = new List<string>();
        var expected = new List<string[]>();
        for (var i = 0; i < photos.Count; i++)
        {
            var bytes = File.ReadAllBytes(photos[i].Path);
            var original = data.Write($"{i:D2}.jpg", bytes);
            paths.Add(original);
            if (i % 4 == 1)
            {
                var copies = Copies(bytes).Select(c => data.Write($"{i:D2}-{c.Name}.jpg", c.Bytes)).ToList();
                paths.AddRange(copies);
                expected.Add([original, .. copies]);
            }
        }

        // When duplicates are searched with the defaults
        var found = DuplicateFinder.Find(paths);

        // Then each original forms one near group with exactly its four copies, and no other photo is grouped
        Assert.Equal(expected.Count, found.Groups.Count);
        var groups = found.Groups.Select(g => g.Members.Select(m => paths[m]).Order(StringComparer.Ordinal).ToArray()).ToList();
        foreach (var members in expected)
        {
            Assert.Contains(groups, g => g.SequenceEqual(members.Order(StringComparer.Ordinal)));
        }
        Assert.All(found.Groups, g => Assert.Equal(DuplicateKind.Near, g.Kind));
        Assert.All(found.Groups, g => Assert.InRange(g.MinThumbnailCorrelation, new DuplicateOptions().MinThumbnailCorrelation, 1));
    }

    [Fact]
    public void Should_group_copies_of_a_low_detail_photo_but_not_distinct_hands_on_the_same_plain_background()
    {
        // Given 30 distinct hand shapes on one plain background, several pairs of which the hashes alone cannot tell
        // apart, plus an exact copy and the four kinds of copy of the first one
        using var data = new TempFolder();
        var paths = new List<string>();
        for (var seed = 0; seed < 30; seed++)
        {
            using var hand = HandOnPlainBackground(seed);
            paths.Add(data.Write($"hand{seed:D2}.jpg", Jpeg(hand)));
        }
        var original = File.ReadAllBytes(paths[0]);
        var copies = new List<string> { paths[0], data.Write("hand00-exact.jpg", original) };
        copies.AddRange(Copies(original).Select(c => data.Write($"hand00-{c.Name}.jpg", c.Bytes)));
        paths.AddRange(copies.Skip(1));
        var prints = paths.Take(30).Select(p => ImageProperties.Measure(p).Fingerprint).ToList();
        var defaults = new DuplicateOptions();
        var hashTwins = prints.SelectMany((a, i) => prints.Skip(i + 1).Where(b =>
            PerceptualHash.HammingDistance(a.DifferenceHash, b.DifferenceHash) <= defaults.MaxDifferenceHashDistance ||
            PerceptualHash.HammingDistance(a.DctHash, b.DctHash) <= defaults.MaxDctHashDistance)).Count();
        Assert.InRange(hashTwins, 3, int.MaxValue);

        // When duplicates are searched with the defaults
        var found = DuplicateFinder.Find(paths);

        // Then the original, its exact copy and its four copies are the only group
        var group = Assert.Single(found.Groups);
        Assert.Equal(copies.Order(StringComparer.Ordinal), group.Members.Select(m => paths[m]).Order(StringComparer.Ordinal));
        Assert.Equal(DuplicateKind.Near, group.Kind);
    }

    [Fact]
    public void Should_not_chain_A_to_C_through_B_when_A_and_C_differ()
    {
        // Given three images with identical hashes whose thumbnails turn 10 degrees at a time, A -> B -> C: A and B
        // correlate 0.985, B and C 0.985, but A and C only 0.94 (below the 0.97 default)
        var prints = new[] { Print("A", 0), Print("B", 10), Print("C", 20) };
        Assert.InRange(PerceptualHash.ThumbnailCorrelation(prints[0].Thumbnail, prints[1].Thumbnail), 0.98, 0.99);
        Assert.InRange(PerceptualHash.ThumbnailCorrelation(prints[1].Thumbnail, prints[2].Thumbnail), 0.98, 0.99);
        Assert.InRange(PerceptualHash.ThumbnailCorrelation(prints[0].Thumbnail, prints[2].Thumbnail), 0.93, 0.95);

        // When they are grouped
        var found = DuplicateFinder.Group(prints);

        // Then B is grouped with one of them, and A and C are never in one group
        var group = Assert.Single(found.Groups);
        Assert.Equal(2, group.Members.Count);
        Assert.Contains(1, group.Members);
        Assert.NotEqual(found.GroupOf(0), found.GroupOf(2));
        Assert.InRange(group.MinThumbnailCorrelation, 0.98, 0.99);
    }

    [Fact]
    public void Should_merge_groups_only_when_every_image_of_one_matches_every_image_of_the_other()
    {
        // Given four images with identical hashes: A, B, C within 8 degrees of one another (correlations 0.99 and
        // more), and D 12 degrees from C (0.978) but 16 and 20 from B and A (0.961 and 0.940)
        var prints = new[] { Print("A", 0), Print("B", 4), Print("C", 8), Print("D", 20) };

        // When they are grouped
        var found = DuplicateFinder.Group(prints);

        // Then A, B and C are one group, and D, a duplicate of C but not of A and B, stays alone
        var group = Assert.Single(found.Groups);
        Assert.Equal([0, 1, 2], group.Members);
        Assert.NotEqual(found.GroupOf(0), found.GroupOf(3));
    }

    [Fact]
    public void Should_keep_exact_copies_together_with_the_near_copies_they_match()
    {
        // Given A, an exact copy of A (same pixel hash), and B 10 degrees from A (0.985)
        var a = Print("A", 0);
        var prints = new[] { a, a with { Path = "A copy" }, Print("B", 10) };

        // When they are grouped
        var found = DuplicateFinder.Group(prints);

        // Then all three are one near group
        var group = Assert.Single(found.Groups);
        Assert.Equal([0, 1, 2], group.Members);
        Assert.Equal(DuplicateKind.Near, group.Kind);
    }

    /// <summary>A fingerprint with fixed hashes (all images look alike to the hashes) and the thumbnail of <see cref="Thumbnail"/> at <paramref name="degrees"/>.</summary>
    private static ImageFingerprint Print(string name, double degrees) =>
        new(name, 100, 100, "pixels of " + name, 0x0123456789abcdefUL, 0xfedcba9876543210UL,
            Thumbnail(Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180)));

    /// <summary>
    /// A 16x16 thumbnail <c>128 + 60 (u x + v y)</c> of two zero-mean orthogonal patterns x (left/right halves) and y
    /// (top/bottom halves): two such thumbnails correlate as the cosine of the angle between their (u, v).
    /// </summary>
    private static byte[] Thumbnail(double u, double v)
    {
        var size = PerceptualHash.ThumbnailSize;
        var cells = new byte[size * size];
        for (var row = 0; row < size; row++)
        {
            for (var column = 0; column < size; column++)
            {
                double x = column < size / 2 ? -1 : 1, y = row < size / 2 ? -1 : 1;
                cells[row * size + column] = (byte)Math.Round(128 + 60 * (u * x + v * y));
            }
        }
        return cells;
    }
}
