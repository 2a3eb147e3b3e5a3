using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Text form fields and query values: long fields refused early, single-valued fields given twice refused (not
/// comma-joined), and the form's limits reported as 400 with a code, never as 413 unless the body is too large.
/// </summary>
public class FormFieldTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<long> GallerySize() =>
        (await ReadJson(await _client.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64();

    /// <summary>A multipart body sent as raw bytes (HttpClient refuses boundaries over 70 characters).</summary>
    private static ByteArrayContent RawMultipart(string boundary, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        return content;
    }

    private static string Part(string boundary, string name, string value, string extraHeaders = "") =>
        $"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n{extraHeaders}\r\n{value}\r\n";

    [Fact]
    public async Task LongTextFieldIsRefusedWithoutWaitingForTheRestOfIt()
    {
        // Raw HTTP/1.1 over a socket: the body declares a 1 MiB label, but only its first 64 KiB are sent. A server that
        // stops at the field's length limit answers now; one that reads the whole field would wait for the rest.
        const string boundary = "stalled-label-boundary";
        string partStart = $"--{boundary}\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\n";
        long declared = partStart.Length + 1024 * 1024 + $"\r\n--{boundary}--\r\n".Length;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_client.BaseAddress!.Host, _client.BaseAddress.Port);
        var stream = tcp.GetStream();
        string head = $"POST /api/v1/gallery HTTP/1.1\r\nHost: {_client.BaseAddress.Authority}\r\nX-Api-Key: {ApiFactory.ApiKey}\r\n"
            + $"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + partStart + new string('a', 64 * 1024)));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var response = new StringBuilder();
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            response.Append(Encoding.UTF8.GetString(buffer, 0, read));
            if (response.ToString().Contains("\"code\""))
                break;
        }

        string text = response.ToString();
        Assert.StartsWith("HTTP/1.1 400", text);
        Assert.Contains("\"code\":\"invalid_field\"", text);
        Assert.Contains("label", text);
    }

    [Fact]
    public async Task OneMebibyteLabelIsInvalidField()
    {
        long before = await GallerySize();
        var label = new string('x', 1024 * 1024);

        var response = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(1)), ("label", label)));

        await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_field");
        Assert.Equal(before, await GallerySize());
    }

    [Fact]
    public async Task LabelThatIsNotUtf8IsInvalidFieldNotReplaced()
    {
        long before = await GallerySize();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(GeneratedJpeg(1)), "images", "a.jpg" },
            { new ByteArrayContent([0x61, 0xFF, 0xFE, 0x62]), "label" },
        };

        var response = await _client.PostAsync("/api/v1/gallery", form);

        var body = await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains("UTF-8", body.GetProperty("detail").GetString());
        Assert.Equal(before, await GallerySize());
    }

    [Fact]
    public async Task FullyTransparentCropIsRefusedAsEmpty()
    {
        long before = await GallerySize();
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(32, 64);
        using var png = new MemoryStream();
        image.Save(png, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.RgbWithAlpha });
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png.ToArray()), "images", "empty.png" } };

        var response = await _client.PostAsync("/api/v1/gallery", form);

        await AssertProblem(response, HttpStatusCode.BadRequest, "empty_image");
        Assert.Equal(before, await GallerySize());
    }

    [Theory]
    [InlineData("label")]
    [InlineData("external_id")]
    [InlineData("camera_id")]
    [InlineData("captured_at")]
    public async Task GalleryFieldGivenTwiceIsInvalidField(string field)
    {
        long before = await GallerySize();
        var (a, b) = field switch
        {
            "camera_id" => ("1", "2"),
            "captured_at" => ("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
            _ => ("x1", "x2"),
        };

        var response = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(2)), (field, a), (field, b)));

        var body = await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains(field, body.GetProperty("detail").GetString());
        Assert.Contains("2 times", body.GetProperty("detail").GetString());
        Assert.Equal(before, await GallerySize());
    }

    [Theory]
    [InlineData("k", "3")]
    [InlineData("min_score", "0.1")]
    [InlineData("label", "x")]
    [InlineData("from", "2024-01-01T00:00:00Z")]
    public async Task SearchFieldGivenTwiceIsInvalidField(string field, string value) =>
        await AssertProblem(
            await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(3)), (field, value), (field, value))),
            HttpStatusCode.BadRequest, "invalid_field");

    [Theory]
    [InlineData("/api/v1/gallery?limit=1&limit=2")]
    [InlineData("/api/v1/gallery?after_id=0&after_id=5")]
    [InlineData("/api/v1/gallery?label=a&label=b")]
    [InlineData("/api/v1/gallery?to=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    public async Task QueryValueGivenTwiceIsInvalidField(string url) =>
        await AssertProblem(await _client.GetAsync(url), HttpStatusCode.BadRequest, "invalid_field");

    [Fact]
    public async Task CameraListsMayRepeat()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/gallery?cameras=1&cameras=3&exclude_cameras=2&exclude_cameras=4")).StatusCode);
        var search = await _client.PostAsync("/api/v1/search",
            Form(new Upload("image", "q.jpg", GeneratedJpeg(4)), ("cameras", "1"), ("cameras", "3")));
        Assert.True(search.StatusCode == HttpStatusCode.OK, await search.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LongMultipartBoundaryIsMalformedNotTooLarge()
    {
        var boundary = new string('b', 129);
        var body = Part(boundary, "label", "x") + $"--{boundary}--\r\n";

        await AssertProblem(await _client.PostAsync("/api/v1/embeddings", RawMultipart(boundary, body)), HttpStatusCode.BadRequest, "malformed_multipart");
    }

    [Fact]
    public async Task OversizedPartHeadersAreMalformedNotTooLarge()
    {
        const string boundary = "header-limit-boundary";
        var body = Part(boundary, "label", "x", $"X-Padding: {new string('p', 20 * 1024)}\r\n") + $"--{boundary}--\r\n";

        await AssertProblem(await _client.PostAsync("/api/v1/embeddings", RawMultipart(boundary, body)), HttpStatusCode.BadRequest, "malformed_multipart");
    }

    [Fact]
    public async Task TooManyFormFieldsIsInvalidFieldNotTooLarge()
    {
        const string boundary = "count-limit-boundary";
        var body = string.Concat(Enumerable.Range(0, 1100).Select(i => Part(boundary, $"f{i}", "1"))) + $"--{boundary}--\r\n";

        await AssertProblem(await _client.PostAsync("/api/v1/embeddings", RawMultipart(boundary, body)), HttpStatusCode.BadRequest, "invalid_field");
    }

    [Fact]
    public async Task TruncatedMultipartBodyIsMalformed()
    {
        const string boundary = "truncated-boundary";
        var body = Part(boundary, "label", "x") + $"--{boundary}\r\nContent-Disposition: form-data; name=\"images\"; filename=\"a.jpg\"\r\n\r\nabc";

        var problem = await AssertProblem(await _client.PostAsync("/api/v1/embeddings", RawMultipart(boundary, body)), HttpStatusCode.BadRequest, "malformed_multipart");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }
}
