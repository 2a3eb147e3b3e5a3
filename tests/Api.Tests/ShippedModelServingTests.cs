using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// The shipped default model (trained on synthetic people only, 128x64 input) served by the real Api at its own input
/// size: the configured default path is that model, /model reports [N,128,64,3] and the synthetic source, and a real
/// Market-1501 crop finds its own gallery copy first.
/// </summary>
public class ShippedModelServingTests
{
    [Fact]
    public void TheApisConfiguredDefaultIsTheShippedSyntheticModel()
    {
        var settings = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepoPaths.Root, "src", "Api", "appsettings.json")).Build();
        Assert.Equal("models/sanreid-resnet18-synth.onnx", settings["SanReid:Model:Path"]);
        Assert.True(File.Exists(RepoPaths.ShippedModel), $"{RepoPaths.ShippedModel} is missing: run scripts/ensure-model.sh (scripts/test.sh does).");
    }

    [MarketMiniFact]
    public async Task TheShippedModelIsServedAtItsOwnInputSizeAndFindsACropsOwnCopyFirst()
    {
        using var factory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Model:Path"] = RepoPaths.ShippedModel });
        var client = factory.CreateClient();

        var model = await ReadJson(await client.GetAsync("/api/v1/model"));
        Assert.Equal("sanreid-resnet18-synth.onnx", model.GetProperty("file_name").GetString());
        Assert.Equal(new[] { -1, 128, 64, 3 }, model.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.StartsWith("synthetic people only", model.GetProperty("metadata").GetProperty("training_data").GetString());

        var crops = Directory.GetFiles(Path.Combine(RepoPaths.MarketMini, "bounding_box_test"), "*.jpg").Order().Take(8).ToArray();
        var added = await client.PostAsync("/api/v1/gallery", Form(crops.Select(p => new Upload("images", Path.GetFileName(p), File.ReadAllBytes(p)))));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var search = await client.PostAsync("/api/v1/search", Form(new Upload("image", "q.jpg", File.ReadAllBytes(crops[3])), ("k", "3")));
        var body = await ReadJson(search);
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        var top = body.GetProperty("matches")[0];
        Assert.Equal(Path.GetFileName(crops[3]), top.GetProperty("file_name").GetString());
        Assert.True(top.GetProperty("score").GetDouble() > 0.999);
    }
}
