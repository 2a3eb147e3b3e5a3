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
/// Text from the upload is cleaned before it is stored or echoed: file names keep their last path segment, lose control
/// and bidi / format characters, are NFC and at most 255 characters; text fields are NFC, so two spellings of one label
/// are one label.
/// </summary>
public class UploadTextTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    public static TheoryData<string, string> FileNames => new()
    {
        { "crop\u202Egnp.exe", "cropgnp.exe" }, // RIGHT-TO-LEFT OVERRIDE: would show as "cropexe.png"
        { "C:\\cams\\7\\crop.jpg", "crop.jpg" },
        { "../../etc/passwd", "passwd" },
        { "a\u200Bb\u2066c\u2069.jpg", "abc.jpg" }, // zero-width space, isolates
        { "line\u2028break.jpg", "linebreak.jpg" },
        { "cafe\u0301.jpg", "caf\u00E9.jpg" }, // NFD -> NFC
        { "\u202E", "upload" },
        { "..", "upload" },
        { "\U0001F600 smile.jpg", "\U0001F600 smile.jpg" }, // emoji (a surrogate pair) kept
        { "caf\uFFFD.jpg", "caf.jpg" }, // U+FFFD: bytes that were not UTF-8 somewhere before us
        { "\uFFFD\uFFFD", "upload" },
    };

    [Theory]
    [MemberData(nameof(FileNames))]
    public async Task FileNameIsStoredAndReturnedCleaned(string sent, string expected)
    {
        var added = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", sent, GeneratedJpeg(sent.Length))));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        long id = (await ReadJson(added)).GetProperty("items")[0].GetProperty("id").GetInt64();

        var stored = await ReadJson(await _client.GetAsync($"/api/v1/gallery/{id}"));
        var embedded = await ReadJson(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", sent, GeneratedJpeg(1)))));

        Assert.Equal(expected, stored.GetProperty("file_name").GetString());
        Assert.Equal(expected, embedded.GetProperty("items")[0].GetProperty("file_name").GetString());
    }

    [Theory]
    [InlineData("filename=\"caf\xE9.jpg\"", "caf.jpg")] // raw Latin-1 byte E9, not UTF-8
    [InlineData("filename=\"x.jpg\"; filename*=UTF-8''%FF%FE.jpg", ".jpg")]
    [InlineData("filename=\"\xFF\xFE\"", "upload")]
    public async Task FileNameBytesThatAreNotUtf8AreDroppedNotStoredAsReplacementCharacters(string disposition, string expected)
    {
        // Raw part headers: HttpClient would encode the name itself. Each char below 256 is sent as that one byte.
        const string boundary = "not-utf8-file-name";
        byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
        byte[] body = [.. Latin1($"--{boundary}\r\nContent-Disposition: form-data; name=\"images\"; {disposition}\r\nContent-Type: image/jpeg\r\n\r\n"),
            .. GeneratedJpeg(7), .. Latin1($"\r\n--{boundary}--\r\n")];
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");

        var response = await _client.PostAsync("/api/v1/embeddings", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string name = (await ReadJson(response)).GetProperty("items")[0].GetProperty("file_name").GetString()!;
        Assert.DoesNotContain('\uFFFD', name);
        Assert.Equal(expected, name);
    }

    [Fact]
    public async Task LongFileNameIsCutTo255Characters()
    {
        string sent = new string('x', 400) + ".jpg";
        var embedded = await ReadJson(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", sent, GeneratedJpeg(2)))));
        Assert.Equal(new string('x', 255), embedded.GetProperty("items")[0].GetProperty("file_name").GetString());
    }

    [Fact]
    public async Task ErrorDetailEscapesHiddenCharactersOfTheUpload()
    {
        var body = await AssertProblem(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("img\u202Eges", "a.jpg", GeneratedJpeg(3)))),
            HttpStatusCode.BadRequest, "missing_field");

        string detail = body.GetProperty("detail").GetString()!;
        Assert.DoesNotContain('\u202E', detail);
        Assert.Contains("img\\u202Eges", detail);
    }

    [Fact]
    public async Task FileNameInAnImageErrorIsQuotedClippedTo40Characters()
    {
        // The tester's case: a 300-character name of an upload that is no image was quoted whole (a 310-character detail).
        string sent = new string('y', 300) + ".jpg";
        var body = await AssertProblem(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", sent, "not an image"u8.ToArray()))),
            HttpStatusCode.BadRequest, "not_an_image");

        string detail = body.GetProperty("detail").GetString()!;
        Assert.StartsWith("'" + new string('y', 40) + "…'", detail);
        Assert.DoesNotContain(new string('y', 41), detail);
    }

    [Fact]
    public async Task LabelSentAsNfdAndAsNfcIsOneLabel()
    {
        string nfd = "Bahnhofstra\u00DFe Caf\u0065\u0301 " + Guid.NewGuid().ToString("N")[..8];
        string nfc = nfd.Normalize(NormalizationForm.FormC);
        Assert.NotEqual(nfd, nfc);

        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "n.jpg", GeneratedJpeg(4)), ("label", nfd))));
        var byNfc = await ReadJson(await _client.GetAsync($"/api/v1/gallery?label={Uri.EscapeDataString(nfc)}"));
        var byNfd = await ReadJson(await _client.GetAsync($"/api/v1/gallery?label={Uri.EscapeDataString(nfd)}"));

        Assert.Equal(nfc, added.GetProperty("items")[0].GetProperty("label").GetString());
        Assert.Equal(1, byNfc.GetProperty("total").GetInt64());
        Assert.Equal(1, byNfd.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task ExternalIdSentAsNfdAfterNfcIsADuplicate()
    {
        string nfc = "d\u00E9tection-" + Guid.NewGuid().ToString("N")[..8];
        string nfd = nfc.Normalize(NormalizationForm.FormD);

        var first = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "e1.jpg", GeneratedJpeg(5)), ("external_id", nfc)));
        var second = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "e2.jpg", GeneratedJpeg(6)), ("external_id", nfd)));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertProblem(second, HttpStatusCode.Conflict, "duplicate_external_id");
    }
}
