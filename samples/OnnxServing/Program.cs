using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

// Serves a model exported with `holdout export RUN --with-preprocessing`: the graph takes 8-bit RGB pixels and does
// the normalisation itself, so an app only decodes and resizes. Usage: OnnxServing model.onnx image.jpg ...
using var session = new InferenceSession(args[0]);
var metadata = session.ModelMetadata.CustomMetadataMap;
var classes = JsonSerializer.Deserialize<string[]>(metadata["class_names"])!;
var size = int.Parse(metadata["image_size"]);
var preprocessing = JsonDocument.Parse(metadata["preprocessing"]).RootElement;
var stretch = preprocessing.GetProperty("eval_resize").GetString() == "Stretch";
// The centre crop's share of the shorter side (torchvision's crop/resize: 224/256, or 224/236 for ConvNeXt-Tiny).
var crop = preprocessing.TryGetProperty("eval_crop", out var c) ? c.GetSingle() : 0.875f;

foreach (var path in args[1..])
{
    using var image = SKBitmap.Decode(path);
    // As Holdout evaluates: shorter side to size / crop and the centre size x size (or a plain stretch).
    var scaleX = stretch ? (float)size / image.Width : size / crop / Math.Min(image.Width, image.Height);
    var scaleY = stretch ? (float)size / image.Height : scaleX;
    using var resized = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
    using (var canvas = new SKCanvas(resized))
    using (var source = SKImage.FromBitmap(image))
    {
        canvas.Translate(size / 2f, size / 2f);
        canvas.Scale(scaleX, scaleY);
        canvas.DrawImage(source, -image.Width / 2f, -image.Height / 2f, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }
    var pixels = new DenseTensor<byte>([1, size, size, 3]);
    for (var y = 0; y < size; y++)
    {
        for (var x = 0; x < size; x++)
        {
            var colour = resized.GetPixel(x, y);
            (pixels[0, y, x, 0], pixels[0, y, x, 1], pixels[0, y, x, 2]) = (colour.Red, colour.Green, colour.Blue);
        }
    }
    using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", pixels)]);
    var probabilities = results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
    var best = Array.IndexOf(probabilities, probabilities.Max());
    Console.WriteLine($"{path}\t{classes[best]}\t{probabilities[best]:0.0000}");
}
