using System.Net;
using System.Text.Json;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Real Market-1501 crops (../shared/data/market-mini): ingest bounding_box_test, search with every query. Skipped
/// where the sample is absent. One server and gallery for the class; each test ingests into it once (idempotent by label).
/// </summary>
public class MarketSearchTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private static readonly SemaphoreSlim IngestLock = new(1, 1);
    private static readonly Dictionary<ApiFactory, Dictionary<string, long>> Ingested = new();

    private static string GalleryDir => Path.Combine(RepoPaths.MarketMini, "bounding_box_test");
    private static string QueryDir => Path.Combine(RepoPaths.MarketMini, "query");

    private static Upload FileUpload(string field, string path) => new(field, Path.GetFileName(path), File.ReadAllBytes(path));

    private static int CameraOf(string fileName) => int.Parse(fileName.Split('_')[1][1..].Split('s')[0]);

    /// <summary>Adds every gallery crop once per server (camera id parsed from the Market file name); returns file → id.</summary>
    private async Task<Dictionary<string, long>> IngestGallery()
    {
        await IngestLock.WaitAsync();
        try
        {
            if (Ingested.TryGetValue(factory, out var done))
                return done;
            var ids = new Dictionary<string, long>();
            foreach (var group in Directory.GetFiles(GalleryDir, "*.jpg").Order().GroupBy(CameraOfPath))
            {
                var response = await _client.PostAsync("/api/v1/gallery",
                    Form(group.Select(p => FileUpload("images", p)), ("camera_id", group.Key.ToString()), ("label", "market")));
                var body = await ReadJson(response);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                foreach (var item in body.GetProperty("items").EnumerateArray())
                    ids[item.GetProperty("file_name").GetString()!] = item.GetProperty("id").GetInt64();
            }
            Ingested[factory] = ids;
            return ids;
        }
        finally
        {
            IngestLock.Release();
        }
    }

    private static int CameraOfPath(string path) => CameraOf(Path.GetFileName(path));

    private async Task<JsonElement> Search(string path, params (string, string)[] fields)
    {
        var response = await _client.PostAsync("/api/v1/search", Form(FileUpload("image", path), fields));
        var body = await ReadJson(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body;
    }

    [MarketMiniFact]
    public async Task EveryQueryGetsKMatchesWithFullMetadataInDescendingScore()
    {
        var ids = await IngestGallery();

        foreach (var query in Directory.GetFiles(QueryDir, "*.jpg").Order())
        {
            var body = await Search(query, ("k", "10"), ("label", "market"));

            Assert.Equal(Path.GetFileName(query), body.GetProperty("query_file_name").GetString());
            Assert.Equal(10, body.GetProperty("k").GetInt32());
            var matches = body.GetProperty("matches").EnumerateArray().ToList();
            Assert.Equal(Math.Min(10, ids.Count), matches.Count);
            var scores = matches.Select(m => m.GetProperty("score").GetSingle()).ToList();
            Assert.Equal(scores.OrderByDescending(s => s), scores);
            Assert.All(scores, s => Assert.InRange(s, -1.0001f, 1.0001f));
            Assert.Equal(Enumerable.Range(1, matches.Count), matches.Select(m => m.GetProperty("rank").GetInt32()));
            foreach (var m in matches)
            {
                string file = m.GetProperty("file_name").GetString()!;
                Assert.Equal(ids[file], m.GetProperty("id").GetInt64());
                Assert.Equal(CameraOf(file), m.GetProperty("camera_id").GetInt32());
                Assert.Equal("market", m.GetProperty("label").GetString());
            }
        }
    }

    [MarketMiniFact]
    public async Task EveryGalleryCropFindsItselfFirstWithScoreNearOne()
    {
        var ids = await IngestGallery();

        foreach (var (file, id) in ids)
        {
            var top = (await Search(Path.Combine(GalleryDir, file), ("k", "1"), ("label", "market"))).GetProperty("matches")[0];

            Assert.Equal(id, top.GetProperty("id").GetInt64());
            Assert.True(top.GetProperty("score").GetSingle() >= 0.999f, $"{file}: self score {top.GetProperty("score")}");
        }
    }

    [MarketMiniFact]
    public async Task QueryAddedToTheGalleryIsItsOwnRankOneAndNeverReturnsOnceDeleted()
    {
        await IngestGallery();

        foreach (var query in Directory.GetFiles(QueryDir, "*.jpg").Order())
        {
            var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(FileUpload("images", query), ("label", "market-query"))));
            long id = added.GetProperty("items")[0].GetProperty("id").GetInt64();

            var withSelf = (await Search(query, ("k", "5"))).GetProperty("matches");
            Assert.Equal(id, withSelf[0].GetProperty("id").GetInt64());
            Assert.True(withSelf[0].GetProperty("score").GetSingle() >= 0.999f);

            Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/gallery/{id}")).StatusCode);
            var afterDelete = (await Search(query, ("k", "50"))).GetProperty("matches");
            Assert.DoesNotContain(afterDelete.EnumerateArray(), m => m.GetProperty("id").GetInt64() == id);
            Assert.True(afterDelete[0].GetProperty("score").GetSingle() < 0.999f);
        }
    }

    [MarketMiniFact]
    public async Task CameraFiltersHoldForEveryMatch()
    {
        await IngestGallery();
        var query = Directory.GetFiles(QueryDir, "*.jpg").Order().First();
        int queryCamera = CameraOfPath(query);

        var excluded = (await Search(query, ("k", "50"), ("exclude_cameras", queryCamera.ToString()), ("label", "market"))).GetProperty("matches");
        var only3 = (await Search(query, ("k", "50"), ("cameras", "3"), ("label", "market"))).GetProperty("matches");

        Assert.NotEmpty(excluded.EnumerateArray());
        Assert.All(excluded.EnumerateArray(), m => Assert.NotEqual(queryCamera, m.GetProperty("camera_id").GetInt32()));
        int expected3 = Directory.GetFiles(GalleryDir, "*.jpg").Count(p => CameraOfPath(p) == 3);
        Assert.Equal(expected3, only3.GetArrayLength());
        Assert.All(only3.EnumerateArray(), m => Assert.Equal(3, m.GetProperty("camera_id").GetInt32()));
    }

    [MarketMiniFact]
    public async Task MinScoreDropsWeakerMatchesOnly()
    {
        await IngestGallery();
        var query = Directory.GetFiles(QueryDir, "*.jpg").Order().First();
        var all = (await Search(query, ("k", "50"), ("label", "market"))).GetProperty("matches").EnumerateArray()
            .Select(m => m.GetProperty("score").GetSingle()).ToList();
        float threshold = all[all.Count / 2];

        var kept = (await Search(query, ("k", "50"), ("label", "market"), ("min_score", threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture))))
            .GetProperty("matches").EnumerateArray().Select(m => m.GetProperty("score").GetSingle()).ToList();

        Assert.Equal(all.Count(s => s >= threshold), kept.Count);
        Assert.All(kept, s => Assert.True(s >= threshold));
    }
}
