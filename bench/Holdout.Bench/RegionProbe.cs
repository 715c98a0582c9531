using System.Diagnostics;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Bench;

/// <summary>
/// Single-thread JPEG decode of a training crop's region against the whole image at the same scale: libjpeg-turbo
/// crops columns (jpeg_crop_scanline), skips the rows above and stops below the region. Checks the region's pixels
/// equal the same rectangle of the whole decode.
/// </summary>
internal static class RegionProbe
{
    public static int Run(string[] args)
    {
        var files = Directory.GetFiles(Options.Folder(args), "*.jpg", SearchOption.AllDirectories).Take(64).ToList();
        var options = AugmentationOptions.TorchvisionCropAndFlip;
        double wholeMs = 0, regionMs = 0;
        long mismatches = 0, compared = 0;
        var depth = new long[10]; var left = new long[10]; var right = new long[10]; var top = new long[10]; var bottom = new long[10]; var aligned = new long[2];
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < files.Count; i++)
            {
                using var data = SKData.CreateCopy(File.ReadAllBytes(files[i]));
                using var codec = SKCodec.Create(data);
                var full = codec.Info;
                var p = Augmentation.Draw(options, 0, round, i, full.Width, full.Height);
                var minimumScale = Math.Min(1.0, Math.Max(224 / p.CropWidth, 224 / p.CropHeight));
                var size = full.Size;
                for (var eighths = 1; eighths < 8 && minimumScale < 1; eighths++)
                {
                    var s = codec.GetScaledDimensions(eighths / 8f);
                    if (s.Width >= Math.Ceiling(full.Width * minimumScale) && s.Height >= Math.Ceiling(full.Height * minimumScale)) { size = s; break; }
                }
                var sx = (double)size.Width / full.Width;
                var sy = (double)size.Height / full.Height;
                var x0 = Math.Max(0, (int)Math.Floor(p.CropX * sx) - 1);
                var y0 = Math.Max(0, (int)Math.Floor(p.CropY * sy) - 1);
                var x1 = Math.Min(size.Width, (int)Math.Ceiling((p.CropX + p.CropWidth) * sx) + 1);
                var y1 = Math.Min(size.Height, (int)Math.Ceiling((p.CropY + p.CropHeight) * sy) + 1);
                var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
                using var whole = new SKBitmap(info);
                var clock = Stopwatch.StartNew();
                var r = codec.GetPixels(info, whole.GetPixels());
                var t1 = clock.Elapsed.TotalMilliseconds;
                if (r != SKCodecResult.Success) throw new Exception($"whole {r}");
                var regionInfo = new SKImageInfo(x1 - x0, y1 - y0, SKColorType.Rgba8888, SKAlphaType.Opaque);
                using var region = new SKBitmap(regionInfo);
                clock.Restart();
                var start = codec.StartScanlineDecode(info, new SKCodecOptions(new SKRectI(x0, 0, x1, size.Height)));
                if (start != SKCodecResult.Success) throw new Exception($"start {start}");
                if (y0 > 0 && !codec.SkipScanlines(y0)) throw new Exception("skip");
                var got = codec.GetScanlines(region.GetPixels(), y1 - y0, region.RowBytes);
                var t2 = clock.Elapsed.TotalMilliseconds;
                if (got != y1 - y0) throw new Exception($"rows {got}");
                if (round > 0) { wholeMs += t1; regionMs += t2; }
                var a = whole.GetPixelSpan();
                var b = region.GetPixelSpan();
                for (var y = 0; y < y1 - y0; y++)
                {
                    for (var x = 0; x < (x1 - x0) * 4; x++)
                    {
                        compared++;
                        if (a[(y + y0) * whole.RowBytes + x0 * 4 + x] != b[y * region.RowBytes + x])
                        {
                            mismatches++;
                            var px = x / 4;
                            var d = Math.Min(Math.Min(px, x1 - x0 - 1 - px), Math.Min(y, y1 - y0 - 1 - y));
                            depth[Math.Min(d, 9)]++;
                            if (px < x1 - x0 - 1 - px) left[Math.Min(px, 9)]++; else right[Math.Min(x1 - x0 - 1 - px, 9)]++;
                            if (y < y1 - y0 - 1 - y) top[Math.Min(y, 9)]++; else bottom[Math.Min(y1 - y0 - 1 - y, 9)]++;
                            aligned[(x0 % 16 == 0 ? 1 : 0)]++;
                        }
                    }
                }
            }
        }
        var n = files.Count * 2;
        Console.WriteLine($"whole {wholeMs / n:0.000} ms/image, region {regionMs / n:0.000} ms/image, mismatching bytes {mismatches} of {compared}");
        Console.WriteLine("border distance: " + string.Join(" ", depth));
        Console.WriteLine("left col: " + string.Join(" ", left) + " | right col: " + string.Join(" ", right));
        Console.WriteLine("top row: " + string.Join(" ", top) + " | bottom row: " + string.Join(" ", bottom) + " | x0 aligned16 no/yes " + string.Join(" ", aligned));
        return 0;
    }
}
