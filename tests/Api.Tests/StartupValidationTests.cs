using Microsoft.Extensions.Options;
using SanReid.Api.Tests.Infrastructure;

namespace SanReid.Api.Tests;

/// <summary>Bad configuration stops start-up with a message naming the key, instead of failing requests later.</summary>
public class StartupValidationTests
{
    [Theory]
    [InlineData("SanReid:Model:ExecutionProvider", "gpu", "ExecutionProvider")]
    [InlineData("SanReid:Search:MaxK", "0", "MaxK")]
    [InlineData("SanReid:Search:DefaultK", "500", "DefaultK")]
    [InlineData("SanReid:Limits:MaxImagesPerRequest", "0", "MaxImagesPerRequest")]
    [InlineData("SanReid:Gallery:IndexFactory", "Bogus", "IndexFactory")]
    public void InvalidOptionFailsStartUp(string key, string value, string named)
    {
        var e = Assert.Throws<OptionsValidationException>(() => new ApiFactory(new Dictionary<string, string> { [key] = value }).Dispose());
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void MissingModelFileFailsStartUpNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.onnx");

        var e = Assert.Throws<FileNotFoundException>(
            () => new ApiFactory(new Dictionary<string, string> { ["SanReid:Model:Path"] = path }).Dispose());

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task CpuProviderIsUsedWhenConfigured()
    {
        using var factory = new ApiFactory(new Dictionary<string, string> { ["SanReid:Model:ExecutionProvider"] = "cpu" });
        var body = await ApiClient.ReadJson(await factory.CreateClient().GetAsync("/health/ready"));

        Assert.Equal("CPU", body.GetProperty("execution_provider").GetString());
        Assert.False(body.TryGetProperty("provider_note", out _));
    }
}
