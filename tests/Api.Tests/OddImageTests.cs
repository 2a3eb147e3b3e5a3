using System.Net;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Imaging.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Unusual but valid images (colour models, orientation, extreme sizes, animation) give 200 and the embedding of the
/// picture they show, on the real server; none changes the gallery.
/// </summary>
public class OddImageTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<float[]> Embed(byte[] bytes, string name, string type = "image/png")
    {
        long before = (await ReadJson(await _client.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64();
        var response = await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", name, bytes, type)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {text}");
        var e = Floats(System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("items")[0].GetProperty("embedding"));
        Assert.InRange(Math.Sqrt(Dot(e, e)), 0.999, 1.001);
        Assert.Equal(before, (await ReadJson(await _client.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64());
        return e;
    }

    private static Image<Rgb24> Person(int seed) => Image.Load<Rgb24>(GeneratedJpeg(seed, 64, 128));

    private static byte[] Png<T>(Image<T> image) where T : unmanaged, IPixel<T>
    {
        using var s = new MemoryStream();
        image.Save(s, new PngEncoder());
        return s.ToArray();
    }

    private static byte[] Jpeg<T>(Image<T> image, JpegColorType? colour = null) where T : unmanaged, IPixel<T>
    {
        using var s = new MemoryStream();
        image.Save(s, new JpegEncoder { Quality = 95, ColorType = colour });
        return s.ToArray();
    }

    [Fact]
    public async Task GreyscaleJpegEmbedsLikeTheSameGreyPictureInRgb()
    {
        using var grey = Person(1).CloneAs<L8>();
        using var rgb = grey.CloneAs<Rgb24>();

        var fromGrey = await Embed(Jpeg(grey, JpegColorType.Luminance), "grey.jpg", "image/jpeg");
        var fromRgb = await Embed(Png(rgb), "grey-as-rgb.png");

        Assert.True(Dot(fromGrey, fromRgb) > 0.99, $"cosine {Dot(fromGrey, fromRgb):F4}");
    }

    [Fact]
    public async Task RgbaPngWithTransparentBorderEmbedsLikeTheRgbCrop()
    {
        using var person = Person(2);
        using var padded = new Image<Rgba32>(person.Width + 40, person.Height + 24, new Rgba32(255, 0, 255, 0)); // transparent magenta
        person.ProcessPixelRows(padded, (src, dst) =>
        {
            for (int y = 0; y < src.Height; y++)
            {
                var s = src.GetRowSpan(y);
                var d = dst.GetRowSpan(y + 12);
                for (int x = 0; x < s.Length; x++)
                    d[x + 20] = new Rgba32(s[x].R, s[x].G, s[x].B, 255);
            }
        });

        var rgb = await Embed(Png(person), "person.png");
        var rgba = await Embed(Png(padded), "person-rgba.png");

        Assert.True(Dot(rgb, rgba) > 0.999, $"cosine {Dot(rgb, rgba):F4}");
    }

    [Fact]
    public async Task CmykJpegEmbedsLikeItsRgbColourNotItsInverse()
    {
        using var same = new Image<Rgb24>(8, 8, new Rgb24(200, 30, 40));
        using var inverse = new Image<Rgb24>(8, 8, new Rgb24(55, 225, 215));

        var cmyk = await Embed(CmykJpeg.Flat(200, 30, 40, 255), "cmyk.jpg", "image/jpeg");
        var rgb = await Embed(Png(same), "rgb.png");
        var inverted = await Embed(Png(inverse), "inverse.png");

        Assert.True(Dot(cmyk, rgb) > 0.999, $"cosine to the RGB version {Dot(cmyk, rgb):F4}");
        Assert.True(Dot(cmyk, rgb) > Dot(cmyk, inverted) + 0.01, $"RGB {Dot(cmyk, rgb):F4} vs inverse {Dot(cmyk, inverted):F4}");
    }

    [Fact]
    public async Task ExifRotatedPhotoEmbedsLikeTheUprightCrop()
    {
        using var upright = Person(3);
        // Orientation 6 = "rotate 90° clockwise to display": store the person rotated 90° anticlockwise.
        using var stored = upright.Clone(x => x.Rotate(RotateMode.Rotate270));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);

        var fromUpright = await Embed(Png(upright), "upright.png");
        var fromRotated = await Embed(Png(stored), "rotated.png");
        using var unrotated = upright.Clone(x => x.Rotate(RotateMode.Rotate270));
        var ignoringExif = await Embed(Png(unrotated), "sideways.png");

        Assert.True(Dot(fromUpright, fromRotated) > 0.999, $"cosine {Dot(fromUpright, fromRotated):F4}");
        Assert.True(Dot(fromUpright, fromRotated) > Dot(fromUpright, ignoringExif));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(10, 20)]
    [InlineData(400, 20)]
    [InlineData(20, 400)]
    public async Task TinyAndExtremeAspectCropsAreEmbedded(int width, int height)
    {
        using var image = Person(4).Clone(x => x.Resize(width, height));

        await Embed(Jpeg(image), $"{width}x{height}.jpg", "image/jpeg");
    }

    [Fact]
    public async Task AnimatedGifEmbedsItsFirstFrame()
    {
        using var first = Person(5);
        using var animation = first.Clone();
        using var second = Person(6);
        animation.Frames.AddFrame(second.Frames.RootFrame);
        Assert.Equal(2, animation.Frames.Count);
        using var gif = new MemoryStream();
        animation.Save(gif, new GifEncoder());
        using var still = new MemoryStream();
        first.Save(still, new GifEncoder());

        var animated = await Embed(gif.ToArray(), "anim.gif", "image/gif");
        var firstFrame = await Embed(still.ToArray(), "first.gif", "image/gif");

        Assert.True(animated.Zip(firstFrame).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5f);
    }
}
