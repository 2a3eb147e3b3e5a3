using System.Net;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>Gallery add / get / list / delete with generated images. Each test uses its own label, so tests sharing the server stay independent.</summary>
public class GalleryTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task AddingReturns201WithTheNewItemsAndTheirMetadata()
    {
        var files = new[] { new Upload("images", "p1.jpg", GeneratedJpeg(21)), new Upload("images", "p2.jpg", GeneratedJpeg(22)) };

        var response = await _client.PostAsync("/api/v1/gallery",
            Form(files, ("camera_id", "3"), ("label", "add-test"), ("captured_at", "2024-05-01T12:30:00+02:00")));
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var items = body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(new[] { "p1.jpg", "p2.jpg" }, items.Select(i => i.GetProperty("file_name").GetString()));
        Assert.All(items, i => Assert.Equal(3, i.GetProperty("camera_id").GetInt32()));
        Assert.All(items, i => Assert.Equal("add-test", i.GetProperty("label").GetString()));
        Assert.All(items, i => Assert.Equal(DateTimeOffset.Parse("2024-05-01T10:30:00Z"), i.GetProperty("captured_at").GetDateTimeOffset()));
        Assert.NotEqual(items[0].GetProperty("id").GetInt64(), items[1].GetProperty("id").GetInt64());
        Assert.Equal($"/api/v1/gallery/{items[0].GetProperty("id").GetInt64()}", response.Headers.Location?.OriginalString);

        var fetched = await ReadJson(await _client.GetAsync(response.Headers.Location));
        Assert.Equal("p1.jpg", fetched.GetProperty("file_name").GetString());
    }

    [Fact]
    public async Task DeletedItemIsGoneFromGetListAndSearch()
    {
        var jpeg = GeneratedJpeg(31);
        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "gone.jpg", jpeg), ("label", "delete-test"))));
        long id = added.GetProperty("items")[0].GetProperty("id").GetInt64();
        var before = await ReadJson(await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", jpeg), ("label", "delete-test"))));
        Assert.Equal(id, before.GetProperty("matches")[0].GetProperty("id").GetInt64());

        var delete = await _client.DeleteAsync($"/api/v1/gallery/{id}");

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await AssertProblem(await _client.GetAsync($"/api/v1/gallery/{id}"), HttpStatusCode.NotFound, "not_found");
        await AssertProblem(await _client.DeleteAsync($"/api/v1/gallery/{id}"), HttpStatusCode.NotFound, "not_found");
        var list = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=delete-test"));
        Assert.Equal(0, list.GetProperty("total").GetInt64());
        var after = await ReadJson(await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", jpeg), ("k", "50"))));
        Assert.DoesNotContain(after.GetProperty("matches").EnumerateArray(), m => m.GetProperty("id").GetInt64() == id);
    }

    [Fact]
    public async Task ListingPagesThroughEveryItemOnceInIdOrder()
    {
        var files = Enumerable.Range(0, 7).Select(i => new Upload("images", $"page{i}.jpg", GeneratedJpeg(40 + i, 16, 32)));
        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(files, ("label", "page-test"))));
        var expected = added.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();

        var seen = new List<long>();
        long? after = 0;
        int pages = 0;
        while (after is not null)
        {
            var page = await ReadJson(await _client.GetAsync($"/api/v1/gallery?label=page-test&limit=3&after_id={after}"));
            Assert.Equal(7, page.GetProperty("total").GetInt64());
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            var next = page.GetProperty("next_after_id");
            after = next.ValueKind == System.Text.Json.JsonValueKind.Null ? null : next.GetInt64();
            Assert.True(++pages <= 3, "more pages than 7 items at 3 per page need");
        }

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListFiltersByCameraAndTime()
    {
        await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "c1.jpg", GeneratedJpeg(51)),
            ("label", "filter-test"), ("camera_id", "1"), ("captured_at", "2024-01-01T00:00:00Z")));
        await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "c2.jpg", GeneratedJpeg(52)),
            ("label", "filter-test"), ("camera_id", "2"), ("captured_at", "2024-06-01T00:00:00Z")));

        var cam2 = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=filter-test&cameras=2"));
        var notCam2 = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=filter-test&exclude_cameras=2"));
        var early = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=filter-test&to=2024-03-01T00:00:00Z"));

        Assert.Equal(new[] { "c2.jpg" }, cam2.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("file_name").GetString()));
        Assert.Equal(new[] { "c1.jpg" }, notCam2.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("file_name").GetString()));
        Assert.Equal(new[] { "c1.jpg" }, early.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("file_name").GetString()));
    }

    [Fact]
    public async Task DuplicateExternalIdIsAConflictAndAddsNothing()
    {
        var first = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "x.jpg", GeneratedJpeg(61)), ("external_id", "dup-1"), ("label", "dup-test")));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var second = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "y.jpg", GeneratedJpeg(62)), ("external_id", "dup-1"), ("label", "dup-test")));

        await AssertProblem(second, HttpStatusCode.Conflict, "duplicate_external_id");
        var list = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=dup-test"));
        Assert.Equal(1, list.GetProperty("total").GetInt64());
    }
}
