using System.Net;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary><c>POST /api/v1/embeddings</c> with generated images.</summary>
public class EmbeddingsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task EmbeddingsAreUnitNormWithTheModelDimensionInUploadOrder()
    {
        var files = Enumerable.Range(0, 3).Select(i => new Upload("images", $"crop{i}.jpg", GeneratedJpeg(i))).ToList();

        var response = await _client.PostAsync("/api/v1/embeddings", Form(files));
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        int d = body.GetProperty("dimension").GetInt32();
        Assert.Equal(3, body.GetProperty("count").GetInt32());
        var items = body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(new[] { "crop0.jpg", "crop1.jpg", "crop2.jpg" }, items.Select(i => i.GetProperty("file_name").GetString()));
        foreach (var item in items)
        {
            var e = Floats(item.GetProperty("embedding"));
            Assert.Equal(d, e.Length);
            Assert.InRange(Math.Sqrt(Dot(e, e)), 0.999, 1.001);
        }
        // Different crops give different embeddings.
        Assert.True(Dot(Floats(items[0].GetProperty("embedding")), Floats(items[1].GetProperty("embedding"))) < 0.9999);
    }

    [Fact]
    public async Task AnEmbeddingDoesNotDependOnTheRestOfItsBatch()
    {
        var alone = await ReadJson(await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "a.jpg", GeneratedJpeg(42)))));
        var batch = Enumerable.Range(0, 8).Select(i => new Upload("images", $"b{i}.jpg", GeneratedJpeg(i == 5 ? 42 : 100 + i))).ToList();
        var inBatch = await ReadJson(await _client.PostAsync("/api/v1/embeddings", Form(batch)));

        var a = Floats(alone.GetProperty("items")[0].GetProperty("embedding"));
        var b = Floats(inBatch.GetProperty("items")[5].GetProperty("embedding"));
        Assert.Equal(a.Length, b.Length);
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5f);
    }

    [Fact]
    public async Task PngAndGreyscaleUploadsAreEmbeddedToo()
    {
        using var grey = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(40, 90, new(128));
        using var png = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(grey, png);

        var response = await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "grey.png", png.ToArray(), "image/png")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
