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
    public async Task BmpWithTheMostNegativeHeightIsCorruptSayingTheHeightIsInvalid()
    {
        // The tester's file: a 64x2 BMP whose height field (offset 22) is int.MinValue, which has no absolute value (a
        // negative height means top-down rows). It was described as "a zero size (64x-2147483648)".
        var bmp = Encoded(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }, 64, 2);
        BitConverter.GetBytes(int.MinValue).CopyTo(bmp, 22);

        var body = await AssertProblem(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "tall.bmp", bmp, "image/bmp"))),
            HttpStatusCode.BadRequest, "corrupt_image");

        string detail = body.GetProperty("detail").GetString()!;
        Assert.DoesNotContain("zero size", detail);
        Assert.Contains("height", detail);
    }

    /// <summary>A request written byte for byte over a socket (HttpClient joins repeated header lines into one); the whole answer as text.</summary>
    private async Task<string> Raw(string method, string path, params string[] headers)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_client.BaseAddress!.Host, _client.BaseAddress.Port);
        var stream = tcp.GetStream();
        string head = $"{method} {path} HTTP/1.1\r\nHost: {_client.BaseAddress.Authority}\r\n"
            + string.Concat(headers.Select(h => h + "\r\n")) + "Content-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadToEndAsync(timeout.Token);
    }

    [Fact]
    public async Task TwoApiKeyHeadersAreRefusedWhicheverComesFirst()
    {
        // The tester's finding: good-then-bad was accepted (the first value won), bad-then-good refused. Two keys are
        // ambiguous: 401 either way, and nothing is deleted.
        var added = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "kept.jpg", GeneratedJpeg(31))));
        long id = (await ReadJson(added)).GetProperty("items")[0].GetProperty("id").GetInt64();
        string good = $"X-Api-Key: {ApiFactory.ApiKey}", bad = "X-Api-Key: not-a-configured-key-at-all";

        foreach (var headers in new[] { new[] { good, bad }, [bad, good], [good, good], [good, "X-Api-Key: "] })
        {
            string answer = await Raw("DELETE", $"/api/v1/gallery/{id}", headers);
            Assert.StartsWith("HTTP/1.1 401", answer);
            Assert.Contains("\"code\":\"invalid_api_key\"", answer);
            Assert.Contains("X-Api-Key header was sent 2 times", answer);
        }
        // A read, open without a key, is refused too: a key that is sent must be one valid key.
        Assert.StartsWith("HTTP/1.1 401", await Raw("GET", "/api/v1/model", good, good));

        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/v1/gallery/{id}")).StatusCode);
        Assert.StartsWith("HTTP/1.1 204", await Raw("DELETE", $"/api/v1/gallery/{id}", good));
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
