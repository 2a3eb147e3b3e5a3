using System.Net;
using System.Text.RegularExpressions;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>Micro-batching: concurrent requests share ONNX Runtime runs, and each still gets exactly its own embedding.</summary>
public class BatchingTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<float[]> EmbedOne(int seed)
    {
        var response = await _client.PostAsync("/api/v1/embeddings", Form(new Upload("images", $"{seed}.jpg", GeneratedJpeg(seed))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Floats((await ReadJson(response)).GetProperty("items")[0].GetProperty("embedding"));
    }

    private async Task<(double Count, double Sum)> BatchSizes()
    {
        var text = await (await _client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        double Read(string name) => double.Parse(Regex.Match(text, "^" + name + @" ([0-9.eE+-]+)$", RegexOptions.Multiline).Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        return (Read("sanreid_inference_batch_size_count"), Read("sanreid_inference_batch_size_sum"));
    }

    [Fact]
    public async Task ConcurrentRequestsShareRunsAndGetTheirOwnEmbeddings()
    {
        var seeds = Enumerable.Range(500, 24).ToList();
        var alone = new Dictionary<int, float[]>();
        foreach (int seed in seeds)
            alone[seed] = await EmbedOne(seed); // one at a time: each its own run
        var (runsBefore, cropsBefore) = await BatchSizes();

        var together = await Task.WhenAll(seeds.Select(s => Task.Run(() => EmbedOne(s))));
        var (runsAfter, cropsAfter) = await BatchSizes();

        // 24 single-crop requests in flight together ran in fewer than 24 runs: some runs held several requests.
        Assert.Equal(24, cropsAfter - cropsBefore);
        Assert.True(runsAfter - runsBefore < 24, $"{runsAfter - runsBefore} runs for 24 concurrent requests: nothing was batched");
        for (int i = 0; i < seeds.Count; i++)
        {
            var a = alone[seeds[i]];
            var b = together[i];
            Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5f, $"seed {seeds[i]}: batched embedding differs from its own");
            Assert.True(Dot(a, b) > 0.99999);
        }
    }
}
