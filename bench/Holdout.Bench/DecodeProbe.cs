using System.Diagnostics;
using Holdout.Imaging;

namespace Holdout.Bench;

/// <summary>Single-thread decode time per JPEG scale (libjpeg-turbo's SIMD covers 1/1, 1/2, 1/4, 1/8 only).</summary>
internal static class DecodeProbe
{
    public static int Run(string[] args)
    {
        var files = Directory.GetFiles(Options.Folder(args), "*.jpg", SearchOption.AllDirectories).Take(64).ToList();
        foreach (var scale in new[] { 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25 })
        {
            for (var round = 0; round < 2; round++)
            {
                var clock = Stopwatch.StartNew();
                var width = 0;
                foreach (var file in files)
                {
                    using var source = ImageSource.Open(file);
                    using var bitmap = source.Decode(scale);
                    width = bitmap.Width;
                }
                if (round == 1)
                {
                    Console.WriteLine($"scale {scale}: decoded width {width}, {clock.Elapsed.TotalMilliseconds / files.Count:0.00} ms/image");
                }
            }
        }
        var preprocessing = Preprocessing.CntkResNet(224);
        using var renderer = new SampleRenderer(preprocessing);
        var buffer = new float[renderer.Length];
        foreach (var (name, options) in new[] { ("eval", (AugmentationOptions?)null), ("train", AugmentationOptions.TorchvisionCropAndFlip), ("standard", AugmentationOptions.Standard), ("croponly", new AugmentationOptions(CropScaleMin: 0.08)), ("fliponly", new AugmentationOptions(HorizontalFlipProbability: 1)), ("eval2", null) })
        {
            for (var round = 0; round < 2; round++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < files.Count; i++)
                {
                    var index = i;
                    renderer.Render(files[i], options is null ? null : (w, h) => Augmentation.Draw(options, 0, round, index, w, h), buffer);
                }
                if (round == 1)
                {
                    Console.WriteLine($"render {name}: {clock.Elapsed.TotalMilliseconds / files.Count:0.00} ms/image");
                }
            }
        }
        // Interleaved per image, so machine load hits every variant alike.
        var variants = new (string Name, AugmentationOptions? Options)[] { ("decode-only", null), ("eval", null), ("croponly", new AugmentationOptions(CropScaleMin: 0.08)), ("fliponly", new AugmentationOptions(HorizontalFlipProbability: 1)), ("crop+flip", AugmentationOptions.TorchvisionCropAndFlip) };
        var ticks = new long[variants.Length];
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < files.Count; i++)
            {
                for (var v = 0; v < variants.Length; v++)
                {
                    var clock = Stopwatch.StartNew();
                    if (v == 0)
                    {
                        using var source = ImageSource.Open(files[i]);
                        using var bitmap = source.Decode();
                    }
                    else
                    {
                        var options = variants[v].Options;
                        var index = i;
                        renderer.Render(files[i], options is null ? null : (w, h) => Augmentation.Draw(options, 0, 0, index, w, h), buffer);
                    }
                    if (round > 0)
                    {
                        ticks[v] += clock.ElapsedTicks;
                    }
                }
            }
        }
        for (var v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"interleaved {variants[v].Name}: {ticks[v] * 1000.0 / Stopwatch.Frequency / (2 * files.Count):0.00} ms/image");
        }
        return 0;
    }
}
