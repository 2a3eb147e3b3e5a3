using System.Net;
using System.Net.Http.Json;
using System.Text;
using SanReid.Api.Services;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Inference;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Issue 8: precomputed embeddings (<c>POST /api/v1/gallery/embeddings</c>, JSON and binary float32), their refusals,
/// and bulk delete by time (<c>DELETE /api/v1/gallery?captured_before=</c>). Each test uses its own label.
/// </summary>
public sealed class GalleryBulkTests(GalleryBulkTests.Server server) : IClassFixture<GalleryBulkTests.Server>
{
    private readonly ApiFactory factory = server.Factory;
    private readonly HttpClient client = server.Factory.CreateClient();
    private readonly string model = ModelFingerprint.Compute(RepoPaths.DefaultModel);

    /// <summary>One server for the class, with at most 5 embeddings per import so the limit is cheap to exceed.</summary>
    public sealed class Server : IDisposable
    {
        public ApiFactory Factory { get; } = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Import:MaxRows"] = "5" });

        public void Dispose() => Factory.Dispose();
    }

    [Fact]
    public async Task AnImportedEmbeddingIsFoundBySearchingWithItsImage()
    {
        // The edge-device flow: embed a crop with the same model elsewhere (here: /embeddings), send only the vector.
        byte[] jpeg = GeneratedJpeg(501);
        var embedded = await ReadJson(await client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "edge.jpg", jpeg))));
        float[] vector = Floats(embedded.GetProperty("items")[0].GetProperty("embedding"));

        var response = await client.PostAsJsonAsync("/api/v1/gallery/embeddings", new
        {
            model,
            items = new[] { new { embedding = vector, external_id = "edge-1", camera_id = 4, label = "import-json", captured_at = "2026-02-01T08:00:00Z", file_name = "edge.jpg" } },
        });
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        long id = body.GetProperty("items")[0].GetProperty("id").GetInt64();
        Assert.Equal("edge-1", body.GetProperty("items")[0].GetProperty("external_id").GetString());
        var search = await ReadJson(await client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", jpeg), ("label", "import-json"))));
        Assert.Equal(id, search.GetProperty("matches")[0].GetProperty("id").GetInt64());
        Assert.True(search.GetProperty("matches")[0].GetProperty("score").GetSingle() > 0.999f);
    }

    [Fact]
    public async Task BinaryImportStoresEveryRowWithTheQueryMetadata()
    {
        int d = await Dimension();
        float[][] rows = [.. Enumerable.Range(0, 3).Select(i => Unit(d, seed: 600 + i))];

        var response = await client.PostAsync($"/api/v1/gallery/embeddings?model={model}&label=import-bin&camera_id=2&captured_at=2026-02-02T00:00:00Z", Binary(rows));
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(3, body.GetProperty("count").GetInt32());
        var list = await ReadJson(await client.GetAsync("/api/v1/gallery?label=import-bin"));
        Assert.Equal(3, list.GetProperty("total").GetInt64());
        Assert.All(list.GetProperty("items").EnumerateArray(), i => Assert.Equal(2, i.GetProperty("camera_id").GetInt32()));
    }

    [Fact]
    public async Task ImportsAreRefusedWithProblemDetailsAndStoreNothing()
    {
        int d = await Dimension();
        float[] good = Unit(d, seed: 700);
        object Json(string? m, params float[][] vectors) => new { model = m, items = vectors.Select(v => new { embedding = v, label = "import-refused" }) };
        float[] nonUnit = [.. good.Select(v => v * 1.1f)];
        float[] shortOne = good[..(d - 1)];

        await AssertProblem(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Json(null, good)), HttpStatusCode.Conflict, "model_mismatch");
        await AssertProblem(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Json("graph-sha256:" + new string('0', 64), good)), HttpStatusCode.Conflict, "model_mismatch");
        await AssertProblem(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Json(model, good, shortOne)), HttpStatusCode.BadRequest, "invalid_embedding");
        await AssertProblem(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Json(model, good, nonUnit)), HttpStatusCode.BadRequest, "invalid_embedding");
        await AssertProblem(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Json(model, good, good, good, good, good, good)), HttpStatusCode.RequestEntityTooLarge, "too_many_embeddings");
        await AssertProblem(await client.PostAsync("/api/v1/gallery/embeddings",
            new StringContent("{\"model\":\"" + model + "\",\"items\":[{\"embedding\":[NaN]}]}", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "invalid_json");
        await AssertProblem(await client.PostAsync("/api/v1/gallery/embeddings", new StringContent("x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        float[] withNaN = [.. good];
        withNaN[7] = float.NaN;
        string query = $"/api/v1/gallery/embeddings?model={model}&label=import-refused";
        await AssertProblem(await client.PostAsync(query, Binary([good, withNaN])), HttpStatusCode.BadRequest, "invalid_embedding");
        await AssertProblem(await client.PostAsync(query, Binary([good, [.. good.Select(_ => float.PositiveInfinity)]])), HttpStatusCode.BadRequest, "invalid_embedding");
        await AssertProblem(await client.PostAsync(query, new ByteArrayContent(new byte[d * 4 + 2]) { Headers = { ContentType = new("application/octet-stream") } }), HttpStatusCode.BadRequest, "invalid_embedding");
        await AssertProblem(await client.PostAsync(query, Binary([.. Enumerable.Repeat(good, 6)])), HttpStatusCode.RequestEntityTooLarge, "too_many_embeddings");
        await AssertProblem(await client.PostAsync($"/api/v1/gallery/embeddings?label=import-refused", Binary([good])), HttpStatusCode.Conflict, "model_mismatch");

        var list = await ReadJson(await client.GetAsync("/api/v1/gallery?label=import-refused"));
        Assert.Equal(0, list.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task JsonImportsAreReadStrictlyAndRefusedWholeOnARepeatedExternalId()
    {
        int d = await Dimension();
        string vector = "[" + string.Join(",", Unit(d, seed: 710).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        string asStrings = "[" + string.Join(",", Unit(d, seed: 711).Select(v => "\"" + v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "\"")) + "]";
        StringContent Body(string items) => new("{\"model\":\"" + model + "\",\"items\":[" + items + "]}", Encoding.UTF8, "application/json");

        // Numbers as strings, a camera id as a string, a property given twice: refused, not read leniently.
        await AssertProblem(await client.PostAsync("/api/v1/gallery/embeddings", Body("{\"embedding\":" + asStrings + ",\"label\":\"import-strict\"}")), HttpStatusCode.BadRequest, "invalid_json");
        await AssertProblem(await client.PostAsync("/api/v1/gallery/embeddings", Body("{\"embedding\":" + vector + ",\"camera_id\":\"3\",\"label\":\"import-strict\"}")), HttpStatusCode.BadRequest, "invalid_json");
        await AssertProblem(await client.PostAsync("/api/v1/gallery/embeddings", Body("{\"embedding\":" + vector + ",\"label\":\"import-strict\",\"label\":\"other\"}")), HttpStatusCode.BadRequest, "invalid_json");
        // One external id twice in one request: a 400 that says so (not "already in the gallery"), and nothing stored.
        var repeated = await client.PostAsync("/api/v1/gallery/embeddings",
            Body("{\"embedding\":" + vector + ",\"external_id\":\"twice\",\"label\":\"import-strict\"},{\"embedding\":" + vector + ",\"external_id\":\"twice\",\"label\":\"import-strict\"}"));
        var problem = await AssertProblem(repeated, HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains("items[1].external_id repeats items[0]", problem.GetProperty("detail").GetString());
        Assert.Equal(0, (await ReadJson(await client.GetAsync("/api/v1/gallery?label=import-strict"))).GetProperty("total").GetInt64());

        // An imported file name gets the care an uploaded one does: last path segment, hidden characters removed.
        var stored = await client.PostAsync("/api/v1/gallery/embeddings",
            Body("{\"embedding\":" + vector + ",\"label\":\"import-strict\",\"file_name\":\"../../etc/passwd\"},"
                + "{\"embedding\":" + vector + ",\"label\":\"import-strict\",\"file_name\":\"C:\\\\cams\\\\crop\\u202Egnp.exe\"}"));
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var names = (await ReadJson(await client.GetAsync("/api/v1/gallery?label=import-strict"))).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("file_name").GetString()!).Order().ToArray();
        Assert.Equal(new[] { "cropgnp.exe", "passwd" }, names);
    }

    public static TheoryData<string, string, bool> BadJson => new()
    {
        // body (with M for the model), what the detail must say, whether it is about a non-finite number
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[NaN]}]}", "$.items[0].embedding[0] (line 1, byte ", true },
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[0.5,-Infinity]}]}", "$.items[0].embedding[1]", true },
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[1],\"camera_id\":3.0}]}", "$.items[0].camera_id: expected an integer", false },
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[1],\"camera_id\":\"3\"}]}", "$.items[0].camera_id: expected an integer", false },
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[1,\"0.5\"]}]}", "$.items[0].embedding[1]: expected a number", false },
        { "{\"model\":\"M\",\"items\":{\"embedding\":[1]}}", "$.items: expected an array", false },
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[1],\"label\":\"a\",\"label\":\"b\"}]}", "property \"label\" is given twice", false },
        { "{\"model\":\"M\",\"items\":[{\"embedding\":[1],\"label\":7}]}", "$.items[0].label: expected a string", false },
        { "{\"model\":\"M\",\"items\":[", "not valid JSON", false },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public async Task JsonImportErrorSaysWhereAndWhatWasExpectedWithoutClrTypeNames(string json, string said, bool nonFinite)
    {
        var response = await client.PostAsync("/api/v1/gallery/embeddings", new StringContent(json.Replace("\"M\"", $"\"{model}\""), Encoding.UTF8, "application/json"));

        var body = await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_json");
        string detail = body.GetProperty("detail").GetString()!;
        Assert.Contains(said, detail);
        Assert.DoesNotContain("System.", detail);
        Assert.DoesNotContain("SanReid.", detail);
        Assert.Equal(nonFinite, detail.Contains("NaN, Infinity"));
    }

    [Fact]
    public async Task JsonImportInUtf16IsInvalidJsonSayingItMustBeUtf8()
    {
        // The tester's body: the JSON text encoded as UTF-16 (little-endian, with a byte-order mark), labelled application/json.
        byte[] utf16 = [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("{\"model\":\"" + model + "\",\"items\":[]}")];
        var content = new ByteArrayContent(utf16) { Headers = { ContentType = new("application/json") } };

        var body = await AssertProblem(await client.PostAsync("/api/v1/gallery/embeddings", content), HttpStatusCode.BadRequest, "invalid_json");

        string detail = body.GetProperty("detail").GetString()!;
        Assert.Contains("must be UTF-8", detail);
        Assert.DoesNotContain("NaN", detail);
    }

    [Fact]
    public async Task BulkDeleteRemovesExactlyTheItemsCapturedBeforeTheTime()
    {
        int d = await Dimension();
        var items = Enumerable.Range(0, 5).Select(i => new
        {
            embedding = Unit(d, seed: 800 + i),
            label = "bulk-delete",
            captured_at = $"1999-01-0{i + 1}T12:00:00Z",
        });
        var added = await ReadJson(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", new { model, items }));
        long[] ids = [.. added.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64())];

        // Items captured 1999-01-01 and 1999-01-02 (12:00) are before 1999-01-03T00:00Z: 2 of 5.
        var response = await client.DeleteAsync("/api/v1/gallery?captured_before=1999-01-03T00:00:00Z");
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, body.GetProperty("deleted").GetInt64());
        var left = await ReadJson(await client.GetAsync("/api/v1/gallery?label=bulk-delete"));
        Assert.Equal(ids[2..], left.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
        var search = await ReadJson(await client.PostAsync("/api/v1/search",
            Form(new Upload("image", "q.jpg", GeneratedJpeg(3)), ("k", "50"), ("label", "bulk-delete"))));
        Assert.Equal(3, search.GetProperty("count").GetInt32());
        Assert.DoesNotContain(search.GetProperty("matches").EnumerateArray(), m => ids[..2].Contains(m.GetProperty("id").GetInt64()));
    }

    [Theory]
    [InlineData("cameras=1")]
    [InlineData("label=bulk-filter")]
    [InlineData("foo=1")]
    public async Task BulkDeleteGivenAFilterItDoesNotTakeIsRefusedAndDeletesNothing(string extra)
    {
        // The tester's case: captured_before with cameras=1 deleted the items of every camera (the filter was ignored).
        int d = await Dimension();
        var items = Enumerable.Range(0, 3).Select(i => new
        {
            embedding = Unit(d, seed: 900 + i),
            camera_id = 3,
            label = "bulk-filter",
            captured_at = "2090-01-01T12:00:00Z", // after every cut-off the other tests of this shared server delete with
        });
        await client.PostAsJsonAsync("/api/v1/gallery/embeddings", new { model, items });
        long before = (await ReadJson(await client.GetAsync("/api/v1/gallery?label=bulk-filter"))).GetProperty("total").GetInt64();

        var body = await AssertProblem(await client.DeleteAsync($"/api/v1/gallery?captured_before=2090-01-02T00:00:00Z&{extra}"),
            HttpStatusCode.BadRequest, "invalid_field");

        Assert.Contains("captured_before, created_before", body.GetProperty("detail").GetString());
        Assert.Equal(before, (await ReadJson(await client.GetAsync("/api/v1/gallery?label=bulk-filter"))).GetProperty("total").GetInt64());
        Assert.True(before >= 3);
    }

    [Fact]
    public async Task BinaryImportRefusesAQueryParameterItDoesNotTake()
    {
        int d = await Dimension();
        var content = new ByteArrayContent([.. Unit(d, seed: 950).SelectMany(BitConverter.GetBytes)]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var body = await AssertProblem(await client.PostAsync($"/api/v1/gallery/embeddings?model={model}&external_id=zzz", content),
            HttpStatusCode.BadRequest, "invalid_field");
        Assert.Contains("external_id", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task BulkDeleteNeedsExactlyOneValidTime()
    {
        await AssertProblem(await client.DeleteAsync("/api/v1/gallery"), HttpStatusCode.BadRequest, "missing_field");
        await AssertProblem(await client.DeleteAsync("/api/v1/gallery?captured_before=2020-01-01&created_before=2020-01-01"), HttpStatusCode.BadRequest, "missing_field");
        await AssertProblem(await client.DeleteAsync("/api/v1/gallery?captured_before=yesterday"), HttpStatusCode.BadRequest, "invalid_timestamp");
        using var anonymous = factory.CreateClient();
        anonymous.DefaultRequestHeaders.Remove("X-Api-Key");
        await AssertProblem(await anonymous.DeleteAsync("/api/v1/gallery?captured_before=2020-01-01"), HttpStatusCode.Unauthorized, "api_key_required");
    }

    [Fact]
    public async Task ReadinessShowsTheIndexAndTheGalleryModel()
    {
        var ready = await ReadJson(await client.GetAsync("/health/ready"));

        Assert.Equal("Flat", ready.GetProperty("index").GetString()); // Auto is exact below 50,000 items
        Assert.False(ready.GetProperty("index_building").GetBoolean());
        Assert.Equal(model, ready.GetProperty("gallery_model").GetString());
    }

    [Fact]
    public async Task RetentionPrunesOldItemsInTheBackground()
    {
        using var retaining = ApiFactory.With(new Dictionary<string, string>
        {
            ["SanReid:Retention:Days"] = "30",
            ["SanReid:Retention:IntervalMinutes"] = "0.05",
        });
        using var http = retaining.CreateClient();
        int d = await Dimension();
        string recent = DateTimeOffset.UtcNow.AddDays(-1).ToString("O");
        var items = new[]
        {
            new { embedding = Unit(d, 900), label = "retention", captured_at = "2001-05-05T00:00:00Z" },
            new { embedding = Unit(d, 901), label = "retention", captured_at = recent },
        };
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/v1/gallery/embeddings", new { model, items })).StatusCode);

        // Pruned every 3 s: the 2001 item goes, the one from yesterday stays.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total;
        do
        {
            await Task.Delay(250);
            total = (await ReadJson(await http.GetAsync("/api/v1/gallery?label=retention"))).GetProperty("total").GetInt64();
        }
        while (total > 1 && clock.Elapsed < TimeSpan.FromSeconds(30));

        var left = await ReadJson(await http.GetAsync("/api/v1/gallery?label=retention"));
        Assert.Equal(1, left.GetProperty("total").GetInt64());
        Assert.Equal(DateTimeOffset.Parse(recent), left.GetProperty("items")[0].GetProperty("captured_at").GetDateTimeOffset());
    }

    private async Task<int> Dimension() => (await ReadJson(await client.GetAsync("/api/v1/model"))).GetProperty("dimension").GetInt32();

    private static float[] Unit(int d, int seed)
    {
        var random = new Random(seed);
        float[] v = [.. Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private static ByteArrayContent Binary(float[][] rows)
    {
        var bytes = new byte[rows.Sum(r => r.Length) * 4];
        int at = 0;
        foreach (float[] row in rows)
        {
            foreach (float v in row)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), v);
                at += 4;
            }
        }

        return new ByteArrayContent(bytes) { Headers = { ContentType = new("application/octet-stream") } };
    }
}
