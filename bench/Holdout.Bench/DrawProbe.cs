using System.Diagnostics;
using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Bench;

/// <summary>Skia draw cost per matrix kind (224x224 target), to pick the fast paths.</summary>
internal static class DrawProbe
{
    public static int Run(string[] args)
    {
        var file = Directory.GetFiles(args[0], "*.jpg", SearchOption.AllDirectories).First();
        using var source = ImageSource.Open(file);
        using var bitmap = source.Decode();
        using var target = new SKBitmap(new SKImageInfo(224, 224, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(target);
        using var pixmap = bitmap.PeekPixels();
        using var image = SKImage.FromPixels(pixmap);
        using var src = new SKPaint { BlendMode = SKBlendMode.Src };
        var cases = new (string, SKMatrix, SKSamplingOptions, SKPaint?)[]
        {
            ("identity-ish translate", SKMatrix.CreateTranslation(-16, -16), new SKSamplingOptions(SKFilterMode.Linear), src),
            ("upscale 1.5 linear Src", SKMatrix.CreateScale(1.5f, 1.5f), new SKSamplingOptions(SKFilterMode.Linear), src),
            ("upscale 1.5 linear default paint", SKMatrix.CreateScale(1.5f, 1.5f), new SKSamplingOptions(SKFilterMode.Linear), null),
            ("upscale 1.5 nearest", SKMatrix.CreateScale(1.5f, 1.5f), new SKSamplingOptions(SKFilterMode.Nearest), src),
            ("downscale 0.8 linear", SKMatrix.CreateScale(0.8f, 0.8f), new SKSamplingOptions(SKFilterMode.Linear), src),
            ("flip -1.5 linear", SKMatrix.CreateScale(-1.5f, 1.5f).PostConcat(SKMatrix.CreateTranslation(224, 0)), new SKSamplingOptions(SKFilterMode.Linear), src),
            ("rotate 10 linear", SKMatrix.CreateRotationDegrees(10), new SKSamplingOptions(SKFilterMode.Linear), src),
            ("upscale 1.5 mitchell", SKMatrix.CreateScale(1.5f, 1.5f), new SKSamplingOptions(SKCubicResampler.Mitchell), src),
        };
        foreach (var (name, matrix, sampling, paint) in cases)
        {
            for (var round = 0; round < 2; round++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 200; i++)
                {
                    canvas.ResetMatrix();
                    canvas.Clear(SKColors.Black);
                    canvas.SetMatrix(matrix);
                    canvas.DrawImage(image, 0, 0, sampling, paint);
                }
                canvas.Flush();
                if (round == 1)
                {
                    Console.WriteLine($"{name}: {clock.Elapsed.TotalMilliseconds / 200:0.000} ms");
                }
            }
        }
        return 0;
    }
}
