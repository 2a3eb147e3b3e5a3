using System.Net;
using System.Text;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Every bad input gives a 4xx ProblemDetails with a stable <c>code</c>, leaves the gallery as it was, and the server
/// keeps answering.
/// </summary>
public class BadInputTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static byte[] TruncatedJpeg() => GeneratedJpeg(1)[..600];

    private static byte[] JpegClaiming50000x50000()
    {
        var bytes = GeneratedJpeg(2);
        int sof = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
        bytes[sof + 5] = 0xC3; bytes[sof + 6] = 0x50; // height 50,000
        bytes[sof + 7] = 0xC3; bytes[sof + 8] = 0x50; // width 50,000
        return bytes;
    }

    // A valid PNG with one byte of its image data changed, so the IDAT chunk's CRC no longer matches.
    private static byte[] PngWithBrokenChunk()
    {
        using var image = SixLabors.ImageSharp.Image.Load(GeneratedJpeg(3));
        using var stream = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, stream);
        var bytes = stream.ToArray();
        int idat = bytes.AsSpan().IndexOf("IDAT"u8);
        bytes[idat + 20] ^= 0x5A;
        return bytes;
    }

    private static byte[] RandomBytes()
    {
        var bytes = new byte[3000];
        new Random(5).NextBytes(bytes);
        return bytes;
    }

    private async Task<long> GallerySize() =>
        (await ReadJson(await _client.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64();

    private async Task AssertRejected(Func<Task<HttpResponseMessage>> send, HttpStatusCode status, string code)
    {
        long before = await GallerySize();
        await AssertProblem(await send(), status, code);
        await AssertStillAnswering(_client);
        Assert.Equal(before, await GallerySize());
    }

    public static TheoryData<string, string, int, string> BadImages => new()
    {
        // endpoint, case, status, code
        { "/api/v1/embeddings", "zero-bytes", 400, "not_an_image" },
        { "/api/v1/embeddings", "random-bytes", 400, "not_an_image" },
        { "/api/v1/embeddings", "truncated-jpeg", 400, "corrupt_image" },
        { "/api/v1/embeddings", "huge-header", 413, "image_too_large" },
        { "/api/v1/embeddings", "broken-png", 400, "corrupt_image" },
        { "/api/v1/gallery", "zero-bytes", 400, "not_an_image" },
        { "/api/v1/gallery", "random-bytes", 400, "not_an_image" },
        { "/api/v1/gallery", "truncated-jpeg", 400, "corrupt_image" },
        { "/api/v1/gallery", "huge-header", 413, "image_too_large" },
        { "/api/v1/gallery", "broken-png", 400, "corrupt_image" },
        { "/api/v1/search", "zero-bytes", 400, "not_an_image" },
        { "/api/v1/search", "random-bytes", 400, "not_an_image" },
        { "/api/v1/search", "truncated-jpeg", 400, "corrupt_image" },
        { "/api/v1/search", "huge-header", 413, "image_too_large" },
        { "/api/v1/search", "broken-png", 400, "corrupt_image" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task BadImageGivesItsProblemCode(string endpoint, string kind, int status, string code)
    {
        var bytes = kind switch
        {
            "zero-bytes" => [],
            "random-bytes" => RandomBytes(),
            "truncated-jpeg" => TruncatedJpeg(),
            "huge-header" => JpegClaiming50000x50000(),
            "broken-png" => PngWithBrokenChunk(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        string field = endpoint == "/api/v1/search" ? "image" : "images";

        await AssertRejected(() => _client.PostAsync(endpoint, Form(new Upload(field, $"{kind}.jpg", bytes))), (HttpStatusCode)status, code);
    }

    [Fact]
    public async Task ProblemDetailNamesTheOffendingUpload()
    {
        var files = new[] { new Upload("images", "good.jpg", GeneratedJpeg(3)), new Upload("images", "bad-one.jpg", RandomBytes()) };
        var body = await AssertProblem(await _client.PostAsync("/api/v1/gallery", Form(files)), HttpStatusCode.BadRequest, "not_an_image");
        Assert.Contains("bad-one.jpg", body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/v1/embeddings")]
    [InlineData("/api/v1/gallery")]
    [InlineData("/api/v1/search")]
    public async Task FormWithoutAnImageFieldIsMissingField(string endpoint) =>
        await AssertRejected(() => _client.PostAsync(endpoint, Form([], ("k", "3"), ("label", "x"))), HttpStatusCode.BadRequest, "missing_field");

    [Theory]
    [InlineData("/api/v1/embeddings", "file")]
    [InlineData("/api/v1/gallery", "image")]
    [InlineData("/api/v1/search", "images")]
    public async Task ImageUnderAWrongFieldNameIsMissingField(string endpoint, string wrongField)
    {
        var body = await AssertProblem(
            await _client.PostAsync(endpoint, Form(new Upload(wrongField, "a.jpg", GeneratedJpeg(4)))), HttpStatusCode.BadRequest, "missing_field");
        Assert.Contains(wrongField, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task MoreImagesThanTheLimitAreRefused()
    {
        var jpeg = GeneratedJpeg(6, 16, 32);
        var files = Enumerable.Range(0, ApiFactory.MaxImagesPerRequest + 1).Select(i => new Upload("images", $"{i}.jpg", jpeg));
        await AssertRejected(() => _client.PostAsync("/api/v1/gallery", Form(files)), HttpStatusCode.BadRequest, "too_many_images");
    }

    [Theory]
    [InlineData("/api/v1/embeddings")]
    [InlineData("/api/v1/gallery")]
    public async Task AThousandImagesAreRefused(string endpoint)
    {
        var jpeg = GeneratedJpeg(6, 8, 16);
        var files = Enumerable.Range(0, 1000).Select(i => new Upload("images", $"{i}.jpg", jpeg));
        await AssertRejected(() => _client.PostAsync(endpoint, Form(files)), HttpStatusCode.BadRequest, "too_many_images");
    }

    [Fact]
    public async Task SearchWithTwoImagesIsRefused()
    {
        var files = new[] { new Upload("image", "a.jpg", GeneratedJpeg(7)), new Upload("image", "b.jpg", GeneratedJpeg(8)) };
        await AssertRejected(() => _client.PostAsync("/api/v1/search", Form(files)), HttpStatusCode.BadRequest, "too_many_images");
    }

    [Theory]
    [InlineData("/api/v1/embeddings")]
    [InlineData("/api/v1/gallery")]
    [InlineData("/api/v1/search")]
    public async Task JsonBodyIsUnsupportedMediaType(string endpoint) =>
        await AssertRejected(
            () => _client.PostAsync(endpoint, new StringContent("{\"image\":\"x\"}", Encoding.UTF8, "application/json")),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

    [Fact]
    public async Task BodyOverTheLimitIsPayloadTooLarge()
    {
        var big = new byte[ApiFactory.MaxBodyBytes + 1024];
        // As curl does for large uploads: wait for "100 Continue", so the server's early 413 arrives before the body is sent.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/gallery") { Content = Form(new Upload("images", "big.jpg", big)) };
        request.Headers.ExpectContinue = true;

        await AssertRejected(() => _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimitIsPayloadTooLarge()
    {
        var big = new byte[ApiFactory.MaxBodyBytes + 1024];
        var form = Form(new Upload("images", "big.jpg", big));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/embeddings") { Content = form };
        request.Headers.TransferEncodingChunked = true;

        await AssertRejected(() => _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("51")]
    [InlineData("999999999999")]
    [InlineData("abc")]
    [InlineData("2.5")]
    public async Task KOutOfRangeIsInvalidK(string k) =>
        await AssertRejected(
            () => _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(9)), ("k", k))),
            HttpStatusCode.BadRequest, "invalid_k");

    [Theory]
    [InlineData("cameras", "one", "invalid_camera")]
    [InlineData("cameras", "1,,2", "invalid_camera")]
    [InlineData("exclude_cameras", "-4", "invalid_camera")]
    [InlineData("from", "yesterday", "invalid_timestamp")]
    [InlineData("to", "2024-13-45T99:00:00Z", "invalid_timestamp")]
    [InlineData("min_score", "1.5", "invalid_min_score")]
    [InlineData("min_score", "NaN", "invalid_min_score")]
    public async Task MalformedSearchFilterGivesItsCode(string field, string value, string code) =>
        await AssertRejected(
            () => _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(10)), (field, value))),
            HttpStatusCode.BadRequest, code);

    [Fact]
    public async Task SearchWindowWithFromAfterToIsInvalid() =>
        await AssertRejected(
            () => _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(10)),
                ("from", "2024-05-02T00:00:00Z"), ("to", "2024-05-01T00:00:00Z"))),
            HttpStatusCode.BadRequest, "invalid_timestamp");

    [Theory]
    [InlineData("camera_id", "cam7", "invalid_camera")]
    [InlineData("captured_at", "not-a-time", "invalid_timestamp")]
    public async Task MalformedGalleryMetadataGivesItsCode(string field, string value, string code) =>
        await AssertRejected(
            () => _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(11)), (field, value))),
            HttpStatusCode.BadRequest, code);

    [Fact]
    public async Task ExternalIdWithSeveralImagesIsRefused()
    {
        var files = new[] { new Upload("images", "a.jpg", GeneratedJpeg(12)), new Upload("images", "b.jpg", GeneratedJpeg(13)) };
        await AssertRejected(() => _client.PostAsync("/api/v1/gallery", Form(files, ("external_id", "person-x"))), HttpStatusCode.BadRequest, "invalid_field");
    }

    [Theory]
    [InlineData("/api/v1/gallery?limit=0")]
    [InlineData("/api/v1/gallery?limit=100000")]
    [InlineData("/api/v1/gallery?limit=ten")]
    [InlineData("/api/v1/gallery?after_id=-1")]
    [InlineData("/api/v1/gallery?after_id=x")]
    public async Task MalformedPagingIsInvalidPaging(string url) =>
        await AssertRejected(() => _client.GetAsync(url), HttpStatusCode.BadRequest, "invalid_paging");

    [Theory]
    [InlineData("/api/v1/gallery?cameras=a", "invalid_camera")]
    [InlineData("/api/v1/gallery?from=soon", "invalid_timestamp")]
    public async Task MalformedListFilterGivesItsCode(string url, string code) =>
        await AssertRejected(() => _client.GetAsync(url), HttpStatusCode.BadRequest, code);

    [Fact]
    public async Task UnknownIdIsNotFound()
    {
        await AssertRejected(() => _client.GetAsync("/api/v1/gallery/987654321"), HttpStatusCode.NotFound, "not_found");
        await AssertRejected(() => _client.DeleteAsync("/api/v1/gallery/987654321"), HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("/api/v1/gallery/abc")]
    [InlineData("/api/v1/nothing-here")]
    public async Task UnknownRouteIsNotFoundProblem(string url) =>
        await AssertRejected(() => _client.GetAsync(url), HttpStatusCode.NotFound, "not_found");

    [Fact]
    public async Task WrongMethodIsMethodNotAllowedProblem() =>
        await AssertRejected(() => _client.PutAsync("/api/v1/search", new StringContent("x")), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
}
