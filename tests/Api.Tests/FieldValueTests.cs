using System.Net;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Field values are read one documented way: ISO 8601 timestamps only (never a culture's date order), camera lists
/// without empty entries, text without control or bidi / format characters.
/// </summary>
public class FieldValueTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Theory]
    [InlineData("2024-05-01T12:30:00Z", "2024-05-01T12:30:00Z")]
    [InlineData("2024-05-01T14:30:00+02:00", "2024-05-01T12:30:00Z")]
    [InlineData("2024-05-01T12:30:00", "2024-05-01T12:30:00Z")]
    [InlineData("2024-05-01T12:30:00.125Z", "2024-05-01T12:30:00.125Z")]
    [InlineData("2024-05-01T12:30Z", "2024-05-01T12:30:00Z")]
    [InlineData("2024-05-01", "2024-05-01T00:00:00Z")]
    public async Task IsoTimestampIsStoredAsItsUtcInstant(string given, string expected)
    {
        var added = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "t.jpg", GeneratedJpeg(given.Length)), ("captured_at", given)));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var item = (await ReadJson(added)).GetProperty("items")[0];
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            item.GetProperty("captured_at").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("1/2/2024")]
    [InlineData("12:30")]
    [InlineData("2024-05-01 12:30:00")]
    [InlineData("May 1, 2024")]
    [InlineData("01.05.2024")]
    [InlineData("2024-5-1")]
    public async Task NonIsoTimestampIsInvalid(string given)
    {
        await AssertProblem(
            await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "t.jpg", GeneratedJpeg(1)), ("captured_at", given))),
            HttpStatusCode.BadRequest, "invalid_timestamp");
        await AssertProblem(await _client.GetAsync($"/api/v1/gallery?from={Uri.EscapeDataString(given)}"), HttpStatusCode.BadRequest, "invalid_timestamp");
    }

    [Theory]
    [InlineData("/api/v1/gallery?label=%FF")]
    [InlineData("/api/v1/gallery?from=2024-05-01%C3")]
    [InlineData("/api/v1/gallery?label=%EF%BF%BD")]
    public async Task QueryTextThatIsNotUtf8IsInvalidNotMojibake(string url)
    {
        var body = await AssertProblem(await _client.GetAsync(url), HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains("UTF-8", body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/v1/gallery?label=a&label=b", "label")]
    [InlineData("GET", "/api/v1/gallery?limit=5&limit=6", "limit")]
    [InlineData("DELETE", "/api/v1/gallery?captured_before=2020-01-01T00:00:00Z&captured_before=2021-01-01T00:00:00Z", "captured_before")]
    public async Task ASingleValuedQueryFieldGivenTwiceIsInvalidNotJoined(string method, string url, string field)
    {
        var body = await AssertProblem(await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)),
            HttpStatusCode.BadRequest, "invalid_field");
        Assert.Equal($"The query parameter '{field}' was given 2 times; it takes one value.", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ABodyOfAnotherMediaTypeGets415WithADetailSayingWhatTheEndpointTakes()
    {
        var body = await AssertProblem(
            await _client.PostAsync("/api/v1/search", new StringContent("x", System.Text.Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        string detail = body.GetProperty("detail").GetString()!;
        Assert.Contains("text/plain", detail);
        Assert.Contains("multipart/form-data", detail);
    }

    [Theory]
    [InlineData("", "before its first boundary")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n5", "closing boundary")]
    public async Task AnEmptyOrCutMultipartBodySaysWhereItEnded(string body, string expected)
    {
        var content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        var problem = await AssertProblem(await _client.PostAsync("/api/v1/search", content), HttpStatusCode.BadRequest, "malformed_multipart");
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(expected, detail);
        Assert.DoesNotContain("another component", detail);
    }

    [Theory]
    [InlineData("camera", "1", "has no field 'camera'")]
    [InlineData("camera_id", "1", "has no field 'camera_id'")]
    public async Task AnUnknownSearchFieldIsRefusedNotIgnored(string field, string value, string expected)
    {
        var body = await AssertProblem(
            await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(2)), (field, value))),
            HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains(expected, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ATextFieldSentAsAFilePartIsRefusedNotDropped()
    {
        // The tester's case: cameras sent as a file part was dropped and the search ran over every camera.
        var body = await AssertProblem(
            await _client.PostAsync("/api/v1/search", Form([new Upload("image", "q.jpg", GeneratedJpeg(2)), new Upload("cameras", "one.txt", "1"u8.ToArray(), "text/plain")])),
            HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains("'cameras'", body.GetProperty("detail").GetString());
        Assert.Contains("text", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AQueryStringOnAFormEndpointIsRefusedNotIgnored()
    {
        var body = await AssertProblem(
            await _client.PostAsync("/api/v1/search?cameras=1", Form(new Upload("image", "q.jpg", GeneratedJpeg(2)))),
            HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains("query string", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AMisspeltListParameterIsRefusedNotIgnored() =>
        await AssertProblem(await _client.GetAsync("/api/v1/gallery?limt=1"), HttpStatusCode.BadRequest, "invalid_field");

    [Fact]
    public async Task AnImagePartWithAnEmptyFileNameIsAFileNamedUpload()
    {
        // What a browser sends for a file whose name is empty: filename="". The framework reads that part as text.
        var content = new MultipartFormDataContent("b");
        var part = new ByteArrayContent(GeneratedJpeg(7));
        part.Headers.TryAddWithoutValidation("Content-Type", "image/jpeg");
        part.Headers.TryAddWithoutValidation("Content-Disposition", "form-data; name=\"images\"; filename=\"\"");
        content.Add(part);
        var response = await _client.PostAsync("/api/v1/embeddings", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upload", (await ReadJson(response)).GetProperty("items")[0].GetProperty("file_name").GetString());
    }

    [Theory]
    [InlineData("Content-Disposition: attachment; name=\"k\"\r\n", "not 'form-data'")]
    [InlineData("", "no Content-Disposition")]
    public async Task APartThatIsNotFormDataIsRefusedNotIgnored(string disposition, string expected)
    {
        // The tester's case: attachment; name="external_id" was dropped and the add answered 201 without it.
        var content = new MultipartFormDataContent("XB");
        var image = new ByteArrayContent(GeneratedJpeg(8));
        image.Headers.TryAddWithoutValidation("Content-Disposition", "form-data; name=\"image\"; filename=\"q.jpg\"");
        image.Headers.TryAddWithoutValidation("Content-Type", "image/jpeg");
        content.Add(image);
        string body = System.Text.Encoding.Latin1.GetString(await content.ReadAsByteArrayAsync());
        body = body.Replace("--XB--", $"--XB\r\n{disposition}\r\n3\r\n--XB--");
        var raw = new ByteArrayContent(System.Text.Encoding.Latin1.GetBytes(body));
        raw.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XB");

        var problem = await AssertProblem(await _client.PostAsync("/api/v1/search", raw), HttpStatusCode.BadRequest, "malformed_multipart");
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TimestampOutOfRangeAfterItsOffsetSaysSo()
    {
        var body = await AssertProblem(
            await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(2)), ("to", "0001-01-01T00:00:00+01:00"))),
            HttpStatusCode.BadRequest, "invalid_timestamp");

        Assert.Contains("offset", body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(",")]
    [InlineData(" , ")]
    [InlineData("1,")]
    public async Task CameraListWithOnlyEmptyEntriesIsInvalid(string cameras)
    {
        await AssertProblem(await _client.GetAsync($"/api/v1/gallery?cameras={Uri.EscapeDataString(cameras)}"), HttpStatusCode.BadRequest, "invalid_camera");
        await AssertProblem(
            await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(3)), ("exclude_cameras", cameras))),
            HttpStatusCode.BadRequest, "invalid_camera");
    }

    [Fact]
    public async Task EmptyCameraListIsNoFilter() =>
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/gallery?cameras=")).StatusCode);

    [Theory]
    [InlineData("label", "abc\u202Edef")]     // right-to-left override
    [InlineData("label", "a\u2066b\u2069")]   // isolates
    [InlineData("external_id", "det\u200B42")] // zero-width space
    [InlineData("external_id", "\uFEFFdet-42")] // byte order mark
    public async Task FormatCharactersInTextAreInvalid(string field, string value) =>
        await AssertProblem(
            await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "f.jpg", GeneratedJpeg(4)), (field, value))),
            HttpStatusCode.BadRequest, "invalid_field");

    [Fact]
    public async Task EmojiWithZeroWidthJoinerIsAcceptedInALabel()
    {
        var added = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "e.jpg", GeneratedJpeg(5)), ("label", "team 👩\u200D💻")));

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("team 👩\u200D💻", (await ReadJson(added)).GetProperty("items")[0].GetProperty("label").GetString());
    }
}
