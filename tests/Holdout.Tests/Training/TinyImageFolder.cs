using SkiaSharp;

namespace Holdout.Tests.Training;

/// <summary>A learnable class-per-folder dataset of small PNGs: each class has its own dominant colour, plus noise shapes.</summary>
internal static class TinyImageFolder
{
    public static readonly string[] Classes = ["red", "green", "blue"];

    public static string Create(TempFolder folder, int perClass = 12, int size = 40, string name = "data") =>
        Create(folder, [perClass, perClass, perClass], size, name);

    /// <summary>The same with its own count per class (red, green, blue); a class with 0 images is left out.</summary>
    public static string Create(TempFolder folder, IReadOnlyList<int> perClass, int size = 40, string name = "data")
    {
        var root = Path.Combine(folder.Path, name);
        for (int c = 0; c < Classes.Length; c++)
        {
            for (int i = 0; i < perClass[c]; i++)
            {
                var random = new Random(c * 1000 + i);
                using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
                using (var canvas = new SKCanvas(bitmap))
                {
                    byte Channel(int k) => (byte)(k == c ? 150 + random.Next(100) : random.Next(90));
                    canvas.Clear(new SKColor(Channel(0), Channel(1), Channel(2)));
                    for (int k = 0; k < 4; k++)
                    {
                        using var paint = new SKPaint { Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)) };
                        canvas.DrawCircle(random.Next(size), random.Next(size), 2 + random.Next(size / 6), paint);
                    }
                }
                folder.Write(Path.Combine(name, Classes[c], $"{Classes[c]}_{i:000}.png"), TestImages.Encode(bitmap, SKEncodedImageFormat.Png));
            }
        }
        return root;
    }
}
