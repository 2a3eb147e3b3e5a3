using System.Net;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Inference.Ranking;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary><c>rerank=true</c> on <c>POST /api/v1/search</c>: k-reciprocal re-ranking of the cosine shortlist.</summary>
public class SearchRerankTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task RerankReturnsKMatchesInTheOrderOfTheReRankingOfTheirStoredEmbeddings()
    {
        const int items = 12, k = 5;
        var files = Enumerable.Range(0, items).Select(i => new Upload("images", $"r{i}.jpg", GeneratedJpeg(700 + i, 16, 32))).ToList();
        var added = await ReadJson(await _client.PostAsync("/api/v1/gallery", Form(files, ("label", "rerank-test"))));
        long[] ids = [.. added.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64())];
        var queryJpeg = GeneratedJpeg(799, 16, 32);
        // The same crops through /embeddings: the embeddings the gallery stored, and the query's.
        var embedded = await ReadJson(await _client.PostAsync("/api/v1/embeddings",
            Form([.. files, new Upload("images", "q.jpg", queryJpeg)])));
        var vectors = embedded.GetProperty("items").EnumerateArray().Select(i => Floats(i.GetProperty("embedding"))).ToList();

        var response = await _client.PostAsync("/api/v1/search",
            Form(new Upload("image", "q.jpg", queryJpeg), ("k", $"{k}"), ("label", "rerank-test"), ("rerank", "true")));
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Shortlist: max(k, RerankCandidates 100) cosine hits, of which only the 12 labelled items qualify.
        Assert.Equal(items, body.GetProperty("rerank_candidates").GetInt32());
        var matches = body.GetProperty("matches").EnumerateArray().ToList();
        Assert.Equal(k, body.GetProperty("count").GetInt32());
        Assert.Equal(k, matches.Count);
        var distances = matches.Select(m => m.GetProperty("rerank_distance").GetSingle()).ToList();
        Assert.Equal(distances.Order(), distances);
        Assert.All(distances, d => Assert.InRange(d, 0f, 1f));
        // The library's re-ranking of the query among all 12 (the shortlist is the whole label here) gives the same ids.
        var expected = CandidateReranking.Rerank(vectors[items], [.. vectors.Take(items).SelectMany(v => v)]);
        Assert.Equal(expected.Take(k).Select(c => ids[c.Candidate]), matches.Select(m => m.GetProperty("id").GetInt64()));
        Assert.Equal(expected.Take(k).Select(c => c.Distance), distances, (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [Fact]
    public async Task WithoutRerankTheResponseSaysNoCandidatesAndMatchesHaveNoDistance()
    {
        await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", "plain.jpg", GeneratedJpeg(801, 16, 32)), ("label", "rerank-off")));

        var body = await ReadJson(await _client.PostAsync("/api/v1/search",
            Form(new Upload("image", "q.jpg", GeneratedJpeg(802, 16, 32)), ("label", "rerank-off"), ("rerank", "false"))));

        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("rerank_candidates").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("matches")[0].GetProperty("rerank_distance").ValueKind);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("true,false")]
    public async Task ABadRerankValueIsA400NamingIt(string value)
    {
        var response = await _client.PostAsync("/api/v1/search",
            Form(new Upload("image", "q.jpg", GeneratedJpeg(803, 16, 32)), ("rerank", value)));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_rerank");
        Assert.Contains("rerank must be true or false", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RerankGivenTwiceIsRefusedLikeEverySingleValuedField()
    {
        var response = await _client.PostAsync("/api/v1/search",
            Form(new Upload("image", "q.jpg", GeneratedJpeg(804, 16, 32)), ("rerank", "true"), ("rerank", "true")));

        await AssertProblem(response, HttpStatusCode.BadRequest, "invalid_field");
    }
}
