using System.Net;
using System.Net.Http.Json;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Inference;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Issue 14: the default model's int8 twin (scripts/ensure-model.sh runs <c>sanreid-train quantize</c>) is served like
/// any model; /model shows its precision, calibration set and agreement figures; the gallery records the embedding
/// space its card declares (the fp32 source's when the quantizer found the two comparable).
/// </summary>
public class Int8ModelServingTests
{
    [Fact]
    public async Task TheInt8TwinIsServedWithItsPrecisionCalibrationAndAgreementFigures()
    {
        Assert.True(File.Exists(RepoPaths.ShippedInt8Model), $"{RepoPaths.ShippedInt8Model} is missing: run scripts/ensure-model.sh (scripts/test.sh does).");
        using var factory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Model:Path"] = RepoPaths.ShippedInt8Model });
        var client = factory.CreateClient();

        var model = await ReadJson(await client.GetAsync("/api/v1/model"));
        Assert.Equal("int8", model.GetProperty("precision").GetString());
        Assert.Equal("int8", model.GetProperty("metadata").GetProperty("precision").GetString());
        Assert.Equal(new[] { -1, 128, 64, 3 }, model.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var quantization = model.GetProperty("card").GetProperty("quantization");
        var calibration = quantization.GetProperty("calibration");
        Assert.False(string.IsNullOrEmpty(calibration.GetProperty("folder").GetString()));
        Assert.True(calibration.GetProperty("count").GetInt32() > 0);
        Assert.Contains(calibration.GetProperty("method").GetString(), new[] { "min-max", "percentile", "entropy" });
        Assert.True(quantization.GetProperty("held_out_agreement").GetProperty("mean_cosine").GetDouble() >= 0.99);

        // The same crop through the int8 and the fp32 model: unit-length embeddings pointing the same way.
        byte[] jpeg = GeneratedJpeg(1401);
        var int8 = Floats((await ReadJson(await client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "a.jpg", jpeg)))))
            .GetProperty("items")[0].GetProperty("embedding"));
        using var fp32Factory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Model:Path"] = RepoPaths.ShippedModel });
        var fp32 = Floats((await ReadJson(await fp32Factory.CreateClient().PostAsync("/api/v1/embeddings", Form(new Upload("images", "a.jpg", jpeg)))))
            .GetProperty("items")[0].GetProperty("embedding"));
        Assert.Equal(1.0, Math.Sqrt(int8.Sum(v => (double)v * v)), 3);
        Assert.True(int8.Zip(fp32, (a, b) => (double)a * b).Sum() > 0.95);
    }

    [Fact]
    public async Task TheGalleryAcceptsEmbeddingsOfTheSpaceTheInt8CardDeclaresAndRefusesOthers()
    {
        using var factory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Model:Path"] = RepoPaths.ShippedInt8Model });
        var client = factory.CreateClient();
        var card = (await ReadJson(await client.GetAsync("/api/v1/model"))).GetProperty("card");
        bool comparable = card.GetProperty("quantization").GetProperty("comparable_with_fp32").GetBoolean();
        string fp32Space = ModelFingerprint.Compute(RepoPaths.ShippedModel);
        string int8Graph = ModelFingerprint.Compute(RepoPaths.ShippedInt8Model);
        var embedded = await ReadJson(await client.PostAsync("/api/v1/embeddings", Form(new Upload("images", "b.jpg", GeneratedJpeg(1402)))));
        float[] vector = Floats(embedded.GetProperty("items")[0].GetProperty("embedding"));
        object Import(string space) => new { model = space, items = new[] { new { embedding = vector, label = "int8-space" } } };

        // Comparable (the shipped twin passed the cross-precision checks): the fp32 model's space is this gallery's,
        // the int8 graph's own fingerprint is not. Not comparable: the other way round.
        var (accepted, refused) = comparable ? (fp32Space, int8Graph) : (int8Graph, fp32Space);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Import(accepted))).StatusCode);
        await AssertProblem(await client.PostAsJsonAsync("/api/v1/gallery/embeddings", Import(refused)), HttpStatusCode.Conflict, "model_mismatch");
        Assert.Equal(comparable, card.TryGetProperty("embedding_space", out _));
    }
}
