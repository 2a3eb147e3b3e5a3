using System.Net;
using System.Text.RegularExpressions;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>/metrics in Prometheus text format and request ids, on the real server.</summary>
public class ObservabilityTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<string> Metrics()
    {
        var response = await _client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static double Value(string text, string series)
    {
        var m = Regex.Match(text, "^" + Regex.Escape(series) + @" ([0-9.eE+-]+)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no series {series} in /metrics");
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task MetricsCountRequestsBatchesGalleryAndRejectionsByCode()
    {
        var before = await Metrics();
        double rejectedBefore = before.Contains("sanreid_rejected_requests_total{code=\"invalid_k\"}")
            ? Value(before, "sanreid_rejected_requests_total{code=\"invalid_k\"}") : 0;
        double cropsBefore = Value(before, "sanreid_crops_embedded_total");

        await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "m.jpg", GeneratedJpeg(71)), ("label", "metrics")));
        await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(72)), ("k", "0")));
        await _client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(72))));
        var after = await Metrics();

        Assert.Equal(rejectedBefore + 1, Value(after, "sanreid_rejected_requests_total{code=\"invalid_k\"}"));
        Assert.True(Value(after, "sanreid_crops_embedded_total") >= cropsBefore + 2);
        Assert.True(Value(after, "sanreid_inference_batch_size_count") >= 2);
        Assert.True(Value(after, "sanreid_inference_seconds_count") >= 2);
        long galleryItems = (await ReadJson(await _client.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64();
        Assert.Equal(galleryItems, Value(await Metrics(), "sanreid_gallery_items"));
        Assert.Equal(1, Value(after, "sanreid_ready"));
        // prometheus-net's per-endpoint request counter and latency histogram.
        Assert.Matches("http_request_duration_seconds_bucket\\{[^}]*endpoint=\"/api/v1/search\"", after);
        Assert.Matches("http_requests_received_total\\{[^}]*code=\"400\"[^}]*endpoint=\"/api/v1/search\"", after);
    }

    [Fact]
    public async Task MadeUpHttpMethodsDoNotAddMetricSeries()
    {
        static int HttpSeries(string text) => text.Split('\n').Count(l => l.StartsWith("http_", StringComparison.Ordinal));
        await _client.GetAsync("/api/v1/gallery/987654321");
        int before = HttpSeries(await Metrics());

        const int methods = 40;
        var responses = new List<HttpResponseMessage>();
        for (int i = 0; i < methods; i++)
            responses.Add(await _client.SendAsync(new HttpRequestMessage(new HttpMethod($"X{i:D3}"), "/nope")));
        var after = await Metrics();

        Assert.DoesNotContain("method=\"X0", after);
        // A few series at most (e.g. the /metrics scrape itself), never one set per made-up method.
        Assert.True(HttpSeries(after) - before < methods, $"{HttpSeries(after) - before} new http_ series for {methods} made-up methods");
        await AssertProblem(responses[^1], HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task RequestIdIsEchoedAndNamedInProblems()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/gallery?limit=0");
        request.Headers.Add("X-Request-Id", "cam7-det-000123");

        var response = await _client.SendAsync(request);
        var body = await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_paging");

        Assert.Equal("cam7-det-000123", response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("cam7-det-000123", body.GetProperty("request_id").GetString());
        // The server's log line for this rejection carries the request id in its scope.
        Assert.Contains(factory.Logs.Lines, l => l.Message.Contains("invalid_paging") && l.Scope.GetValueOrDefault("RequestId") == "cam7-det-000123");
        // A request without one gets a server id.
        var plain = await _client.GetAsync("/health/live");
        Assert.False(string.IsNullOrWhiteSpace(plain.Headers.GetValues("X-Request-Id").Single()));
    }
}

/// <summary>Logs name uploads and errors but never contain image bytes.</summary>
public class LogContentTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task LogsNeverContainImageBytes()
    {
        var client = factory.CreateClient();
        // Not an image, but text a log of the body would show verbatim.
        var marker = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("IMAGE-BYTES-MARKER-", 50)));

        var rejected = await client.PostAsync("/api/v1/gallery", Form(new Upload("images", "marker.jpg", marker)));
        var accepted = await client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "ok.jpg", GeneratedJpeg(81))));

        await AssertProblem(rejected, HttpStatusCode.BadRequest, "not_an_image");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Contains(factory.Logs.Lines, l => l.Message.Contains("marker.jpg")); // the rejection is logged, by file name
        Assert.DoesNotContain(factory.Logs.Lines, l => l.Message.Contains("IMAGE-BYTES-MARKER"));
        var jpegStart = Convert.ToBase64String(GeneratedJpeg(81)[..48]);
        Assert.DoesNotContain(factory.Logs.Lines, l => l.Message.Contains(jpegStart));
    }
}

/// <summary>Readiness while the model loads in the background.</summary>
public class ReadinessTests
{
    [Fact]
    public async Task ReadinessFailsAndApiAnswers503UntilTheModelHasLoaded()
    {
        // Many warm-up runs keep the service in its loading stages for a while after the host has started (which takes
        // seconds itself: fewer runs could finish before the first request on an idle machine).
        using var factory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Startup:WarmUpRuns"] = "1000" }, waitUntilReady: false);
        var client = factory.CreateClient();

        var early = await client.GetAsync("/health/ready");
        var earlyBody = await ReadJson(early);
        var earlySearch = await client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(1))));
        var textOnly = new HttpRequestMessage(HttpMethod.Get, "/api/v1/model");
        textOnly.Headers.Accept.ParseAdd("text/plain");
        var earlyText = await client.SendAsync(textOnly);
        var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        Assert.Equal("Degraded", earlyBody.GetProperty("status").GetString());
        Assert.Contains(earlyBody.GetProperty("stage").GetString(), new[] { "loading model", "opening gallery", "warming up" });
        await AssertProblem(earlySearch, HttpStatusCode.ServiceUnavailable, "not_ready");
        // A client that accepts only text still gets the problem as JSON (not an empty 500).
        await AssertProblem(earlyText, HttpStatusCode.ServiceUnavailable, "not_ready");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        // 1000 warm-up runs take about 25 s on 2 idle cores; a machine busy with training needs several times that.
        factory.WaitUntilReady(TimeSpan.FromSeconds(300));
        var ready = await ReadJson(await client.GetAsync("/health/ready"));
        Assert.Equal("ready", ready.GetProperty("stage").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(1))))).StatusCode);
    }
}

/// <summary>A start-up that fails in the background: the log names the stage it failed in and the reason.</summary>
public class FailedStartupTests
{
    [Fact]
    public async Task FailedStartUpIsLoggedWithTheStageItFailedIn()
    {
        // A gallery folder under a regular file cannot be created: start-up fails while opening the gallery, and the
        // process stops (here: the test host stops, usually before the factory has finished starting).
        var blocker = Path.GetTempFileName();
        var logs = new LogCapture();
        try
        {
            try
            {
                ApiFactory.With(new Dictionary<string, string> { ["SanReid:Gallery:DatabasePath"] = Path.Combine(blocker, "sub", "gallery.db") },
                    waitUntilReady: false, logs: logs).Dispose();
            }
            catch (ObjectDisposedException)
            {
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!logs.Lines.Any(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical) && clock.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(50);

            var critical = Assert.Single(logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical);
            Assert.Contains("Start-up failed while opening gallery", critical.Message);
            Assert.Contains(blocker, critical.Message); // the reason, with the path, stays in the log
        }
        finally
        {
            File.Delete(blocker);
        }
    }
}
