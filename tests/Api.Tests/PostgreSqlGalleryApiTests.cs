using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanReid.Api.Services;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Index.Tests;
using SanReid.Inference;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Issue 9: the Api with <c>SanReid:Gallery:Store=PostgreSql</c>: two replicas (two servers) over one gallery in the
/// shared test cluster, a database that goes away, and connection strings that cannot work.
/// </summary>
public class PostgreSqlGalleryApiTests
{
    private static Dictionary<string, string> PostgreSql(string connectionString) => new()
    {
        ["SanReid:Gallery:Store"] = "PostgreSql",
        ["SanReid:Gallery:ConnectionString"] = connectionString,
    };

    [Fact]
    public async Task TwoReplicasServeOneGalleryWithTheSameRulesAsSqlite()
    {
        string connection = PostgreSqlCluster.Shared.ConnectionString(PostgreSqlCluster.NewSchema("api"));
        using var first = ApiFactory.With(PostgreSql(connection));
        using var second = ApiFactory.With(PostgreSql(connection));
        var a = first.CreateClient();
        var b = second.CreateClient();
        byte[] jpeg = GeneratedJpeg(901);

        var added = await a.PostAsync("/api/v1/gallery", Form(new Upload("images", "p.jpg", jpeg),
            ("external_id", "cam-2/track-9"), ("camera_id", "2"), ("label", "pg"), ("captured_at", "2026-01-01T00:00:00Z")));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        long id = (await ReadJson(added)).GetProperty("items")[0].GetProperty("id").GetInt64();

        // Searchable through the other replica (the Index tests time it; here: it arrives).
        Eventually(() =>
        {
            var found = ReadJson(b.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", jpeg))).Result).Result;
            return found.GetProperty("matches").GetArrayLength() == 1 && found.GetProperty("matches")[0].GetProperty("id").GetInt64() == id;
        });

        // The crop kept by the replica that added it is served by the other (same bytes, same validator): it lives in the database.
        var fromA = await a.GetAsync($"/api/v1/gallery/{id}/image");
        var fromB = await b.GetAsync($"/api/v1/gallery/{id}/image");
        Assert.Equal(HttpStatusCode.OK, fromB.StatusCode);
        Assert.Equal("image/jpeg", fromB.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await fromA.Content.ReadAsByteArrayAsync(), await fromB.Content.ReadAsByteArrayAsync());
        Assert.Equal(fromA.Headers.ETag, fromB.Headers.ETag);

        // The same refusals as with SQLite, through the replica that did not add the item; nothing is stored.
        await AssertProblem(await b.PostAsync("/api/v1/gallery", Form(new Upload("images", "q.jpg", GeneratedJpeg(902)), ("external_id", "cam-2/track-9"))),
            HttpStatusCode.Conflict, "duplicate_external_id");
        await AssertProblem(await b.PostAsync("/api/v1/gallery", Form(new Upload("images", "x.jpg", "not an image"u8.ToArray()))),
            HttpStatusCode.BadRequest, "not_an_image");
        await AssertProblem(await b.PostAsJsonAsync("/api/v1/gallery/embeddings", new { model = "someone-else", items = new[] { new { embedding = new[] { 1f } } } }),
            HttpStatusCode.Conflict, "model_mismatch");
        Assert.Equal(1, (await ReadJson(await a.GetAsync("/api/v1/gallery"))).GetProperty("total").GetInt64());

        // Import of a precomputed embedding, then retention-style bulk delete, each through one replica, seen by the other.
        string model = ModelFingerprint.Compute(RepoPaths.DefaultModel);
        float[] vector = [.. (await ReadJson(await a.PostAsync("/api/v1/embeddings", Form(new Upload("images", "e.jpg", GeneratedJpeg(903))))))
            .GetProperty("items")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
        var imported = await b.PostAsJsonAsync("/api/v1/gallery/embeddings", new { model, items = new[] { new { embedding = vector, label = "pg", captured_at = "2026-03-01T00:00:00Z" } } });
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var bulk = await ReadJson(await b.DeleteAsync("/api/v1/gallery?captured_before=2026-02-01T00:00:00Z"));
        Assert.Equal(1, bulk.GetProperty("deleted").GetInt64());
        Eventually(() =>
            ReadJson(a.GetAsync("/health/ready").Result).Result.GetProperty("gallery_items").GetInt64() == 1);
        await AssertProblem(await a.GetAsync($"/api/v1/gallery/{id}"), HttpStatusCode.NotFound, "not_found");

        var health = await ReadJson(await a.GetAsync("/health/ready"));
        Assert.Equal("PostgreSql", health.GetProperty("gallery_store").GetString());
        Assert.Equal("connected", health.GetProperty("gallery_database").GetString());
    }

    [Fact]
    public async Task WithTheDatabaseDownWritesAnswer503SearchesAnswerAndReadinessSaysDegraded()
    {
        using var cluster = PostgreSqlCluster.Start();
        using var factory = ApiFactory.With(PostgreSql(cluster.ConnectionString()));
        var client = factory.CreateClient();
        byte[] jpeg = GeneratedJpeg(911);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/gallery", Form(new Upload("images", "p.jpg", jpeg)))).StatusCode);

        cluster.StopServer();
        try
        {
            var write = await client.PostAsync("/api/v1/gallery", Form(new Upload("images", "q.jpg", GeneratedJpeg(912))));
            var search = await client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", jpeg)));
            var writeProblem = await AssertProblem(write, HttpStatusCode.ServiceUnavailable, "gallery_unavailable");
            Assert.Contains("nothing was changed", writeProblem.GetProperty("detail").GetString());
            Assert.True(int.Parse(write.Headers.GetValues("Retry-After").Single()) >= 1);
            // A read needs the database too; its answer says so, not that "nothing was changed".
            var read = await AssertProblem(await client.GetAsync("/api/v1/gallery"), HttpStatusCode.ServiceUnavailable, "gallery_unavailable");
            Assert.DoesNotContain("nothing was changed", read.GetProperty("detail").GetString());
            Assert.Contains("searches still answer from memory", read.GetProperty("detail").GetString());
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.Equal(1, (await ReadJson(search)).GetProperty("matches").GetArrayLength());

            HttpResponseMessage ready = null!;
            Eventually(() =>
            {
                ready = client.GetAsync("/health/ready").Result;
                return ReadJson(ready).Result.GetProperty("gallery_database").GetString() == "unreachable";
            });
            var body = await ReadJson(ready);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // still serving searches: a proxy keeps sending them
            Assert.Equal("Degraded", body.GetProperty("status").GetString());
            Assert.True(body.GetProperty("gallery_stale_seconds").GetDouble() >= 0);
        }
        finally
        {
            cluster.StartServer();
        }

        Eventually(() =>
            client.PostAsync("/api/v1/gallery", Form(new Upload("images", "r.jpg", GeneratedJpeg(913)))).Result.StatusCode == HttpStatusCode.Created, 15_000);
        // The change feed reconnects on its own (it retries at most every 2 s): readiness is Healthy again.
        Eventually(() => ReadJson(client.GetAsync("/health/ready").Result).Result.GetProperty("status").GetString() == "Healthy");
        Assert.Equal(2, (await ReadJson(await client.GetAsync("/api/v1/gallery"))).GetProperty("total").GetInt64());
    }

    [Fact]
    public void AnUnparsableConnectionStringFailsStartUpNamingTheSettingWithoutThePassword()
    {
        const string secret = "s3cret-pw-never-logged";
        var logs = new LogCapture();

        var e = Assert.IsType<OptionsValidationException>(StartUpFailure(PostgreSql($"Host=127.0.0.1;Password={secret};Colour=blue"), logs));

        Assert.Contains("SanReid:Gallery:ConnectionString", e.Message);
        Assert.DoesNotContain(secret, e.ToString());
        Assert.DoesNotContain(logs.Lines, l => l.Message.Contains(secret));
    }

    [Fact]
    public async Task AWrongPasswordFailsStartUpNamingTheSettingWithoutThePassword()
    {
        const string secret = "wrong-pw-never-logged";
        var logs = new LogCapture();
        string connection = PostgreSqlCluster.Shared.ConnectionString().Replace(PostgreSqlCluster.Password, secret, StringComparison.Ordinal);
        try
        {
            ApiFactory.With(PostgreSql(connection), waitUntilReady: false, logs: logs).Dispose();
        }
        catch (ObjectDisposedException)
        {
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!logs.Lines.Any(l => l.Level == LogLevel.Critical) && clock.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(50);

        var critical = Assert.Single(logs.Lines, l => l.Level == LogLevel.Critical);
        Assert.Contains("SanReid:Gallery:ConnectionString", critical.Message);
        Assert.Contains("28P01", critical.Message);
        Assert.DoesNotContain(logs.Lines, l => l.Message.Contains(secret));
    }

    private static void Eventually(Func<bool> condition, int timeoutMs = 10_000)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.ElapsedMilliseconds < timeoutMs, $"condition not met after {timeoutMs} ms");
            Thread.Sleep(20);
        }
    }

    private static Exception StartUpFailure(IReadOnlyDictionary<string, string> overrides, LogCapture logs)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                ApiFactory.With(overrides, logs: logs).Dispose();
                throw new Xunit.Sdk.XunitException("start-up did not fail");
            }
            catch (ObjectDisposedException) when (attempt < 4)
            {
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                return e;
            }
        }
    }
}
