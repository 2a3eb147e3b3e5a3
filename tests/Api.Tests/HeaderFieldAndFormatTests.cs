using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanReid.Api.Services;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Untrusted header fields, TIFF and other known formats, and framework quirks a fuzzer found, over the real server:
/// each is a 4xx with its code (or a success), never a 500.
/// </summary>
public class HeaderFieldAndFormatTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static byte[] Encoded(SixLabors.ImageSharp.Formats.IImageEncoder encoder, int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 30, 40));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    [Fact]
    public async Task BmpWhosePixelOffsetIsPastTheEndIsCorrupt()
    {
        // The report's file: a valid 1x1 24-bit BMP (58 bytes) whose file header puts the pixel data at 0x7FFFFFFF.
        var bmp = Encoded(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }, 1, 1);
        Assert.Equal(58, bmp.Length);
        BitConverter.GetBytes(0x7FFFFFFF).CopyTo(bmp, 10);

        var body = await AssertProblem(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "offset.bmp", bmp, "image/bmp"))),
            HttpStatusCode.BadRequest, "corrupt_image");

        Assert.Contains("offset.bmp", body.GetProperty("detail").GetString());
        await AssertStillAnswering(_client);
    }

    [Fact]
    public async Task TiffIsEmbeddedLikeAnyOtherFormat()
    {
        var tiff = Encoded(new TiffEncoder(), 32, 64);

        var response = await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "camera.tif", tiff, "image/tiff")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var item = (await ReadJson(response)).GetProperty("items")[0];
        Assert.Equal("camera.tif", item.GetProperty("file_name").GetString());
        Assert.Equal(512, item.GetProperty("embedding").GetArrayLength());
    }

    [Fact]
    public async Task KnownUnsupportedFormatIs415NamingTheAcceptedFormats()
    {
        byte[] heic = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, 0, 0, 0, 0];

        var body = await AssertProblem(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "phone.heic", heic, "image/heic"))),
            HttpStatusCode.UnsupportedMediaType, "unsupported_image");

        Assert.Contains("HEIF/HEIC", body.GetProperty("detail").GetString());
        Assert.Contains("TIFF", body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("filename=\"a.jpg\"; filename*=UTF-7''a%2Bjpg")]
    [InlineData("filename*=UTF-7''a%2Bjpg")] // no plain filename: the framework's IsFileDisposition decodes filename* itself
    public async Task FileNameInAnUnsupportedCharsetIsMalformedMultipart(string fileNames)
    {
        // Found by fuzzing the form reader: the framework decodes filename* with Encoding.GetEncoding(charset), which throws
        // NotSupportedException for UTF-7 (a 500 before).
        const string boundary = "b0undary";
        var text = $"--{boundary}\r\nContent-Disposition: form-data; name=\"images\"; {fileNames}\r\n" +
                   $"Content-Type: image/jpeg\r\n\r\nxx\r\n--{boundary}--\r\n";
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");

        await AssertProblem(await _client.PostAsync("/api/v1/embeddings", content), HttpStatusCode.BadRequest, "malformed_multipart");
        await AssertStillAnswering(_client);
    }
}
