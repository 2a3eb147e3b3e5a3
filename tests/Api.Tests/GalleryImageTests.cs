using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>Issue 13: the crop kept with each gallery item, <c>GET /api/v1/gallery/{id}/image</c>, and image URLs in
/// add, get, list and search responses. Each test uses its own label.</summary>
public class GalleryImageTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task AnAddedCropIsServedAsJpegWithAStrongETagAndEveryResponseLinksIt()
    {
        byte[] upload = GeneratedJpeg(1301, width: 64, height: 128);
        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "p.jpg", upload), ("label", "img-serve"))));
        long id = added.GetProperty("items")[0].GetProperty("id").GetInt64();
        string url = $"/api/v1/gallery/{id}/image";

        var response = await _client.GetAsync(url);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(body))}\"", response.Headers.ETag?.Tag);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.True(response.Headers.CacheControl is { Private: true, NoCache: true }, $"Cache-Control: {response.Headers.CacheControl}");
        // A 64 x 128 upload fits the 256 x 256 box: kept at its size, and it looks like the upload (re-encoded once more).
        using (var stored = Image.Load<Rgb24>(body))
        using (var original = Image.Load<Rgb24>(upload))
        {
            Assert.Equal((64, 128), (stored.Width, stored.Height));
            Assert.InRange(MeanAbsoluteDifference(original, stored), 0, 6);
        }

        Assert.Equal(url, added.GetProperty("items")[0].GetProperty("image_url").GetString());
        Assert.Equal(url, (await ReadJson(await _client.GetAsync($"/api/v1/gallery/{id}"))).GetProperty("image_url").GetString());
        var listed = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=img-serve"));
        Assert.Equal(url, listed.GetProperty("items")[0].GetProperty("image_url").GetString());
        var found = await ReadJson(await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", upload), ("label", "img-serve"))));
        Assert.Equal(url, found.GetProperty("matches")[0].GetProperty("image_url").GetString());
    }

    [Fact]
    public async Task IfNoneMatchWithTheETagGives304WithoutABodyAndAnotherTagGivesTheImage()
    {
        long id = await AddOne(1302, "img-etag");
        var first = await _client.GetAsync($"/api/v1/gallery/{id}/image");
        EntityTagHeaderValue etag = first.Headers.ETag!;

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/gallery/{id}/image");
        revalidate.Headers.IfNoneMatch.Add(etag);
        var notModified = await _client.SendAsync(revalidate);
        using var other = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/gallery/{id}/image");
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0000\""));
        var changed = await _client.SendAsync(other);
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/api/v1/gallery/{id}/image");
        var headResponse = await _client.SendAsync(head);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, notModified.Headers.ETag);
        Assert.True(notModified.Headers.CacheControl is { Private: true, NoCache: true });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await changed.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, headResponse.StatusCode);
        Assert.Empty(await headResponse.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ALargeUploadIsKeptUprightScaledToTheHeightBound()
    {
        // 200 x 800, top half red: stored at 256 tall and 200 * 256 / 800 = 64 wide, red still on top.
        using var person = new Image<Rgb24>(200, 800);
        person.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                rows.GetRowSpan(y).Fill(y < 400 ? new Rgb24(220, 20, 30) : new Rgb24(20, 40, 200));
        });
        using var png = new MemoryStream();
        person.Save(png, new PngEncoder());
        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery",
            Form(new Upload("images", "tall.png", png.ToArray(), "image/png"), ("label", "img-large"))));
        long id = added.GetProperty("items")[0].GetProperty("id").GetInt64();

        using var stored = Image.Load<Rgb24>(await _client.GetByteArrayAsync($"/api/v1/gallery/{id}/image"));

        Assert.Equal((64, 256), (stored.Width, stored.Height));
        Assert.True(stored[32, 20].R > 150 && stored[32, 20].B < 100, $"top pixel {stored[32, 20]}");
        Assert.True(stored[32, 236].B > 150 && stored[32, 236].R < 100, $"bottom pixel {stored[32, 236]}");
    }

    [Fact]
    public async Task AnAbsentItemOrAnImportedEmbeddingGives404ProblemDetailsAndANullImageUrl()
    {
        string model = ModelFingerprint.Compute(RepoPaths.DefaultModel);
        float[] vector = Floats((await ReadJson(await _client.PostAsync("/api/v1/embeddings",
            Form(new Upload("images", "e.jpg", GeneratedJpeg(1303)))))).GetProperty("items")[0].GetProperty("embedding"));
        var imported = await ReadJson(await _client.PostAsJsonAsync("/api/v1/gallery/embeddings",
            new { model, items = new[] { new { embedding = vector, label = "img-imported" } } }));
        long id = imported.GetProperty("items")[0].GetProperty("id").GetInt64();

        var none = await AssertProblem(await _client.GetAsync($"/api/v1/gallery/{id}/image"), HttpStatusCode.NotFound, "not_found");
        var absent = await AssertProblem(await _client.GetAsync($"/api/v1/gallery/{id + 100_000}/image"), HttpStatusCode.NotFound, "not_found");

        Assert.Contains("has no stored image", none.GetProperty("detail").GetString());
        Assert.Contains($"No gallery item with id {id + 100_000}", absent.GetProperty("detail").GetString());
        Assert.Equal(JsonValueKind.Null, imported.GetProperty("items")[0].GetProperty("image_url").ValueKind);
        var listed = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=img-imported"));
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("items")[0].GetProperty("image_url").ValueKind);
    }

    [Fact]
    public async Task DeletingAnItemOrDeletingInBulkTakesItsImage()
    {
        long single = await AddOne(1304, "img-delete");
        var old = await ReadJson(await _client.PostAsync("/api/v1/gallery",
            Form(new Upload("images", "old.jpg", GeneratedJpeg(1305)), ("label", "img-delete"), ("captured_at", "2001-01-01T00:00:00Z"))));
        long bulk = old.GetProperty("items")[0].GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/v1/gallery/{bulk}/image")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/gallery/{single}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.DeleteAsync("/api/v1/gallery?captured_before=2001-01-02T00:00:00Z")).StatusCode);

        await AssertProblem(await _client.GetAsync($"/api/v1/gallery/{single}/image"), HttpStatusCode.NotFound, "not_found");
        await AssertProblem(await _client.GetAsync($"/api/v1/gallery/{bulk}/image"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task WithImagesOffNothingIsKeptAndTheUrlIsNull()
    {
        using var off = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Gallery:Images:Enabled"] = "false" });
        var client = off.CreateClient();

        var added = await ReadJson(await client.PostAsync("/api/v1/gallery", Form(new Upload("images", "p.jpg", GeneratedJpeg(1306)))));
        long id = added.GetProperty("items")[0].GetProperty("id").GetInt64();

        Assert.Equal(JsonValueKind.Null, added.GetProperty("items")[0].GetProperty("image_url").ValueKind);
        await AssertProblem(await client.GetAsync($"/api/v1/gallery/{id}/image"), HttpStatusCode.NotFound, "not_found");
    }

    private async Task<long> AddOne(int seed, string label)
    {
        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", $"{seed}.jpg", GeneratedJpeg(seed)), ("label", label))));
        return added.GetProperty("items")[0].GetProperty("id").GetInt64();
    }

    private static double MeanAbsoluteDifference(Image<Rgb24> a, Image<Rgb24> b)
    {
        double sum = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
                sum += Math.Abs(a[x, y].R - b[x, y].R) + Math.Abs(a[x, y].G - b[x, y].G) + Math.Abs(a[x, y].B - b[x, y].B);
        }
        return sum / (a.Width * a.Height * 3.0);
    }
}
