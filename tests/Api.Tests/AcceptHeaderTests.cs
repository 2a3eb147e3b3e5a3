using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Errors are <c>application/problem+json</c> with a <c>code</c> and <c>request_id</c> whatever the client's
/// <c>Accept</c> header asks for (a client accepting only text/plain got empty 500s and bodies before).
/// </summary>
public class AcceptHeaderTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    public static readonly string[] Accepts = ["text/plain", "application/xml", "text/html", "image/png"];

    public static TheoryData<string, string, int, string> Cases()
    {
        var data = new TheoryData<string, string, int, string>();
        foreach (var accept in Accepts)
        {
            foreach (var (name, status, code) in new[]
                     {
                         ("wrong-key", 401, "invalid_api_key"),
                         ("no-key-write", 401, "api_key_required"),
                         ("invalid-k", 400, "invalid_k"),
                         ("not-an-image", 400, "not_an_image"),
                         ("unknown-route", 404, "not_found"),
                         ("unknown-id", 404, "not_found"),
                         ("wrong-method", 405, "method_not_allowed"),
                         ("json-body", 415, "unsupported_media_type"),
                     })
            {
                data.Add(accept, name, status, code);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ErrorIsProblemJsonWithCodeWhateverTheAcceptHeader(string accept, string kind, int status, string code)
    {
        var client = factory.CreateClient();
        var request = kind switch
        {
            "wrong-key" => new HttpRequestMessage(HttpMethod.Get, "/api/v1/model"),
            "no-key-write" => new HttpRequestMessage(HttpMethod.Post, "/api/v1/gallery") { Content = Form(new Upload("images", "a.jpg", GeneratedJpeg(1))) },
            "invalid-k" => new HttpRequestMessage(HttpMethod.Post, "/api/v1/search") { Content = Form(new Upload("image", "q.jpg", GeneratedJpeg(2)), ("k", "0")) },
            "not-an-image" => new HttpRequestMessage(HttpMethod.Post, "/api/v1/embeddings") { Content = Form(new Upload("images", "x.jpg", [1, 2, 3])) },
            "unknown-route" => new HttpRequestMessage(HttpMethod.Get, "/api/v1/nothing-here"),
            "unknown-id" => new HttpRequestMessage(HttpMethod.Get, "/api/v1/gallery/987654321"),
            "wrong-method" => new HttpRequestMessage(HttpMethod.Put, "/api/v1/search") { Content = new StringContent("x") },
            "json-body" => new HttpRequestMessage(HttpMethod.Post, "/api/v1/embeddings") { Content = new StringContent("{}", Encoding.UTF8, "application/json") },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        client.DefaultRequestHeaders.Remove("X-Api-Key");
        if (kind == "wrong-key")
            request.Headers.Add("X-Api-Key", "not-a-configured-key-at-all");
        else if (kind != "no-key-write")
            request.Headers.Add("X-Api-Key", ApiFactory.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

        var body = await AssertProblem(await client.SendAsync(request), (HttpStatusCode)status, code);

        Assert.False(string.IsNullOrEmpty(body.GetProperty("request_id").GetString()));
        Assert.DoesNotContain(factory.Logs.Lines, l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }
}
