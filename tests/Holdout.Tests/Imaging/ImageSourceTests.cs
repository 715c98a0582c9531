using Holdout.Imaging;
using SkiaSharp;

namespace Holdout.Tests.Imaging;

public sealed class ImageSourceTests
{
    private static SKBitmap DecodeBytes(byte[] bytes)
    {
        Assert.True(ImageSource.TryOpen("memory", bytes, out var source, out var reason), reason);
        using (source)
        {
            return source!.Decode();
        }
    }

    [Fact]
    public void Should_read_every_supported_format_by_content_whatever_the_extension()
    {
        // Given the same kind of picture as JPEG, PNG, BMP, GIF and WebP
        var files = new (byte[] Bytes, SKEncodedImageFormat Format)[]
        {
            (TestImages.Jpeg(1), SKEncodedImageFormat.Jpeg),
            (TestImages.Png(1), SKEncodedImageFormat.Png),
            (TestImages.Bmp(1), SKEncodedImageFormat.Bmp),
            (TestImages.TwoFrameGif(), SKEncodedImageFormat.Gif),
            (TestImages.Webp(1), SKEncodedImageFormat.Webp),
        };
        using var folder = new TempFolder();
        foreach (var (bytes, format) in files)
        {
            // When each is written with a misleading extension and opened
            var path = folder.Write($"{format}.txt", bytes);
            Assert.True(ImageSource.TryOpen(path, out var source, out var reason), reason);
            using (source)
            using (var bitmap = source!.Decode())
            {
                // Then it is recognised from its content and decodes to opaque RGBA
                Assert.Equal(format, source.Format);
                Assert.Equal(SKAlphaType.Opaque, bitmap.AlphaType);
                Assert.Equal(SKColorType.Rgba8888, bitmap.ColorType);
            }
        }
    }

    [Fact]
    public void Should_decode_the_first_frame_of_an_animated_gif()
    {
        // Given a GIF whose first frame is red|green and second frame blue
        using var bitmap = DecodeBytes(TestImages.TwoFrameGif());

        // Then the first frame is decoded
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(0, 0));
        Assert.Equal(new SKColor(0, 255, 0), bitmap.GetPixel(7, 7));
    }

    [Fact]
    public void Should_turn_grey_palette_sixteen_bit_and_alpha_pngs_into_8_bit_rgb()
    {
        // Given PNGs in grey 8-bit, grey 16-bit, palette, RGB 16-bit, grey+alpha and RGBA with a transparent pixel
        var grey8 = TestImages.RawPng(4, 4, 0, 8, (_, _) => [100]);
        var grey16 = TestImages.RawPng(4, 4, 0, 16, (_, _) => [100 * 257]);
        var palette = TestImages.RawPng(4, 4, 3, 8, (x, _) => [x % 2], [10, 20, 30, 200, 150, 100]);
        var rgb16 = TestImages.RawPng(4, 4, 2, 16, (_, _) => [10 * 257, 20 * 257, 30 * 257]);
        var greyAlpha = TestImages.RawPng(4, 4, 4, 8, (_, _) => [100, 128]);
        var rgba = TestImages.RawPng(4, 4, 6, 8, (_, _) => [40, 50, 60, 0]);

        // Then each decodes to 8-bit RGB with the stored colour (alpha dropped, not composited)
        using (var b = DecodeBytes(grey8)) Assert.Equal(new SKColor(100, 100, 100), b.GetPixel(1, 1));
        using (var b = DecodeBytes(grey16)) Assert.Equal(new SKColor(100, 100, 100), b.GetPixel(1, 1));
        using (var b = DecodeBytes(palette))
        {
            Assert.Equal(new SKColor(10, 20, 30), b.GetPixel(0, 0));
            Assert.Equal(new SKColor(200, 150, 100), b.GetPixel(1, 0));
        }
        using (var b = DecodeBytes(rgb16)) Assert.Equal(new SKColor(10, 20, 30), b.GetPixel(2, 2));
        using (var b = DecodeBytes(greyAlpha)) Assert.Equal(new SKColor(100, 100, 100), b.GetPixel(2, 2));
        using (var b = DecodeBytes(rgba)) Assert.Equal(new SKColor(40, 50, 60), b.GetPixel(2, 2));
    }

    [Fact]
    public void Should_convert_a_cmyk_jpeg_to_rgb()
    {
        // Given a 16x16 CMYK JPEG (Adobe APP14, written by PIL from RGB (200, 40, 40))
        var bytes = Convert.FromBase64String(CmykJpegBase64);

        // When it is decoded
        using var bitmap = DecodeBytes(bytes);

        // Then it is RGB close to the original colour
        var c = bitmap.GetPixel(8, 8);
        Assert.InRange(c.Red, 180, 220);
        Assert.InRange(c.Green, 20, 60);
        Assert.InRange(c.Blue, 20, 60);
    }

    [Theory]
    [InlineData(6)] // rotate 90 clockwise
    [InlineData(8)] // rotate 90 counter-clockwise
    [InlineData(3)] // rotate 180
    [InlineData(2)] // mirror
    public void Should_apply_the_exif_orientation(int orientation)
    {
        // Given a 40x20 JPEG whose left half is red and right half blue, with an EXIF orientation
        using var picture = new SKBitmap(new SKImageInfo(40, 20, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(picture))
        {
            canvas.Clear(SKColors.Blue);
            using var red = new SKPaint { Color = SKColors.Red };
            canvas.DrawRect(0, 0, 20, 20, red);
        }
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(picture, SKEncodedImageFormat.Jpeg, 100), orientation);

        // When it is decoded
        using var bitmap = DecodeBytes(jpeg);

        // Then the pixels are displayed as the tag says
        static bool IsRed(SKColor c) => c.Red > 200 && c.Blue < 60;
        switch (orientation)
        {
            case 6: // 90 CW: left (red) goes to the top
                Assert.Equal((20, 40), (bitmap.Width, bitmap.Height));
                Assert.True(IsRed(bitmap.GetPixel(10, 5)));
                Assert.False(IsRed(bitmap.GetPixel(10, 35)));
                break;
            case 8: // 90 CCW: left (red) goes to the bottom
                Assert.Equal((20, 40), (bitmap.Width, bitmap.Height));
                Assert.False(IsRed(bitmap.GetPixel(10, 5)));
                Assert.True(IsRed(bitmap.GetPixel(10, 35)));
                break;
            default: // 180 and mirror: red on the right
                Assert.Equal((40, 20), (bitmap.Width, bitmap.Height));
                Assert.False(IsRed(bitmap.GetPixel(5, 10)));
                Assert.True(IsRed(bitmap.GetPixel(35, 10)));
                break;
        }
    }

    [Fact]
    public void Should_decode_a_jpeg_scaled_down_when_a_smaller_size_is_enough()
    {
        // Given a 400x300 JPEG
        var bytes = TestImages.Jpeg(3, 400, 300);
        Assert.True(ImageSource.TryOpen("x", bytes, out var source, out _));
        using (source)
        {
            // When it is decoded with at least 0.3 of its size
            using var bitmap = source!.Decode(0.3);

            // Then it is decoded at 3/8 (150x113), not at full size, and never below the minimum
            Assert.InRange(bitmap.Width, 120, 399);
            Assert.True(bitmap.Height >= 90);
        }
    }

    private const string CmykJpegBase64 = "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCgwJCgoK/8AAFAgAEAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9IK/J+vyfr9/KKKKKKKKKKKKK/9k=";
}
