using System.Net;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>A server with several API keys, keys required for reads too, a small per-key rate limit and one CORS origin.</summary>
public sealed class SecuredServer : IDisposable
{
    public const int Burst = 10;
    public const string Origin = "https://ops.example.org";

    /// <summary>Keys 1..6 (key 0 is ApiFactory.ApiKey); each test uses its own, so rate limits do not cross tests.</summary>
    public static string Key(int i) => $"secured-key-{i}-0123456789";

    public ApiFactory Factory { get; } = ApiFactory.With(new Dictionary<string, string>
    {
        ["SanReid:Auth:RequireKeyForReads"] = "true",
        ["SanReid:RateLimit:PermitsPerSecond"] = "1",
        ["SanReid:RateLimit:Burst"] = Burst.ToString(),
        ["SanReid:Cors:AllowedOrigins:0"] = Origin,
        ["SanReid:Auth:ApiKeys:1"] = Key(1),
        ["SanReid:Auth:ApiKeys:2"] = Key(2),
        ["SanReid:Auth:ApiKeys:3"] = Key(3),
        ["SanReid:Auth:ApiKeys:4"] = Key(4),
        ["SanReid:Auth:ApiKeys:5"] = Key(5),
        // Key 6 is configured only by its SHA-256, as a deployment would.
        ["SanReid:Auth:KeySha256:0"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Key(6)))),
    }, waitUntilReady: false);

    public SecuredServer()
    {
        // The readiness probe is not rate limited and needs no key.
        Factory.WaitUntilReady(TimeSpan.FromSeconds(120));
    }

    public HttpClient Client(string? key)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Remove("X-Api-Key");
        if (key is not null)
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public void Dispose() => Factory.Dispose();
}

/// <summary>X-Api-Key checks, per-key rate limiting and configured CORS on the real server.</summary>
public class SecurityTests(SecuredServer server) : IClassFixture<SecuredServer>
{
    [Fact]
    public async Task GalleryAddWithoutAKeyIsUnauthorizedAndAddsNothing()
    {
        var anonymous = server.Client(null);
        var reader = server.Client(SecuredServer.Key(1));
        long before = (await ReadJson(await reader.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64();

        var response = await anonymous.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(1))));

        await AssertProblem(response, HttpStatusCode.Unauthorized, "api_key_required");
        Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(before, (await ReadJson(await reader.GetAsync("/api/v1/gallery?limit=1"))).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task AWrongKeyIsRefusedForReadsAndWrites()
    {
        var wrong = server.Client("not-a-configured-key-at-all");

        await AssertProblem(await wrong.GetAsync("/api/v1/model"), HttpStatusCode.Unauthorized, "invalid_api_key");
        await AssertProblem(await wrong.DeleteAsync("/api/v1/gallery/1"), HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task ReadsNeedAKeyWhenConfiguredSo()
    {
        var anonymous = server.Client(null);

        await AssertProblem(await anonymous.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(2)))),
            HttpStatusCode.Unauthorized, "api_key_required");
        // Health and metrics stay open for probes and scrapers.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task AValidKeyAddsAndDeletes()
    {
        var client = server.Client(SecuredServer.Key(2));

        var added = await client.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(3)), ("label", "secured")));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        long id = (await ReadJson(added)).GetProperty("items")[0].GetProperty("id").GetInt64();

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/gallery/{id}")).StatusCode);
    }

    [Fact]
    public async Task AKeyConfiguredOnlyByItsHashIsAccepted()
    {
        var client = server.Client(SecuredServer.Key(6));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/model")).StatusCode);
    }

    [Fact]
    public async Task RateLimitIsPerKeyAndAnswers429WithRetryAfter()
    {
        var busy = server.Client(SecuredServer.Key(3));
        var other = server.Client(SecuredServer.Key(4));

        var responses = new List<HttpResponseMessage>();
        for (int i = 0; i < SecuredServer.Burst + 3; i++)
            responses.Add(await busy.GetAsync("/api/v1/gallery?limit=1"));
        var limited = responses.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests);

        Assert.NotNull(limited);
        await AssertProblem(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/gallery?limit=1")).StatusCode);
    }

    [Fact]
    public async Task RateLimitedProblemIsJsonWhenTheClientAcceptsOnlyText()
    {
        var busy = server.Client(SecuredServer.Key(5));
        busy.DefaultRequestHeaders.Accept.ParseAdd("text/plain");

        var responses = new List<HttpResponseMessage>();
        for (int i = 0; i < SecuredServer.Burst + 3; i++)
            responses.Add(await busy.GetAsync("/api/v1/gallery?limit=1"));
        var limited = responses.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests);

        Assert.NotNull(limited);
        var body = await AssertProblem(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.False(string.IsNullOrEmpty(body.GetProperty("request_id").GetString()));
    }

    [Fact]
    public async Task CorsAnswersTheConfiguredOriginOnly()
    {
        var client = server.Client(null);

        var allowed = await client.SendAsync(Preflight(SecuredServer.Origin));
        var other = await client.SendAsync(Preflight("https://elsewhere.example.com"));

        Assert.Equal(SecuredServer.Origin, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    internal static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/search");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        return request;
    }
}

/// <summary>Without keys: writes refused unless AllowAnonymousWrites; CORS off when no origin is configured.</summary>
public class AnonymousAccessTests
{
    [Fact]
    public async Task WithNoKeysConfiguredWritesAreRefusedUnlessAnonymousWritesAreAllowed()
    {
        using var closed = ApiFactory.With(new Dictionary<string, string>(), withApiKey: false);
        var client = closed.CreateClient();
        client.DefaultRequestHeaders.Remove("X-Api-Key");

        var refused = await AssertProblem(await client.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(5)))),
            HttpStatusCode.Unauthorized, "api_key_required");
        Assert.Contains("AllowAnonymousWrites", refused.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", GeneratedJpeg(5))))).StatusCode);
        // CORS is off: a preflight gets no CORS headers.
        var preflight = await client.SendAsync(SecurityTests.Preflight("https://ops.example.org"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));

        using var open = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Auth:AllowAnonymousWrites"] = "true" }, withApiKey: false);
        var anonymous = open.CreateClient();
        anonymous.DefaultRequestHeaders.Remove("X-Api-Key");
        Assert.Equal(HttpStatusCode.Created,
            (await anonymous.PostAsync("/api/v1/gallery", Form(new Upload("images", "a.jpg", GeneratedJpeg(5))))).StatusCode);
    }
}
