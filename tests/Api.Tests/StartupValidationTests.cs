using Microsoft.Extensions.Options;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Inference;

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
    [InlineData("SanReid:Auth:ApiKeys:0", "short", "ApiKeys")]
    [InlineData("SanReid:Auth:ApiKeys:0", " padded-key-0123456789 ", "ApiKeys")]
    [InlineData("SanReid:Auth:KeySha256:0", "not-hex", "KeySha256")]
    [InlineData("SanReid:Auth:KeySha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "KeySha256:0")]
    [InlineData("SanReid:Auth:ApiKeys", "a-key-given-without-an-index", "ApiKeys:0")]
    [InlineData("SanReid:RateLimit:PermitsPerSecond", "0", "PermitsPerSecond")]
    [InlineData("SanReid:Batching:MaxBatchSize", "0", "MaxBatchSize")]
    [InlineData("SanReid:Batching:MaxWaitMilliseconds", "-1", "MaxWaitMilliseconds")]
    [InlineData("SanReid:Limits:MaxPixels", "0", "MaxPixels")]
    public void InvalidOptionFailsStartUp(string key, string value, string named)
    {
        var e = Assert.IsType<OptionsValidationException>(StartUpFailure(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(named, e.Message);
    }

    // WebApplicationFactory (minimal hosting) can race with a host that failed to start and throw
    // ObjectDisposedException from its own port lookup instead of the start-up exception; try again then.
    private static Exception StartUpFailure(IReadOnlyDictionary<string, string> overrides)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                ApiFactory.With(overrides).Dispose();
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

    [Fact]
    public void MissingModelFileFailsStartUpNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.onnx");

        var e = Assert.IsType<FileNotFoundException>(StartUpFailure(new Dictionary<string, string> { ["SanReid:Model:Path"] = path }));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task CudaProviderEitherRunsOnCudaOrFailsStartUpSayingWhy()
    {
        var overrides = new Dictionary<string, string> { ["SanReid:Model:ExecutionProvider"] = "cuda" };
        if (OnnxEmbedderProbe.CudaError() is { } error)
        {
            // No CUDA here: start-up must stop with a message naming the option and the native reason.
            var e = Assert.IsType<InvalidOperationException>(StartUpFailure(overrides));
            Assert.Contains("ExecutionProvider is 'cuda'", e.Message);
            Assert.Contains(error, e.Message);
        }
        else
        {
            using var factory = ApiFactory.With(overrides);
            var body = await ApiClient.ReadJson(await factory.CreateClient().GetAsync("/health/ready"));
            Assert.Equal("CUDA", body.GetProperty("execution_provider").GetString());
        }
    }

    [Fact]
    public async Task CpuProviderIsUsedWhenConfigured()
    {
        using var factory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Model:ExecutionProvider"] = "cpu" });
        var body = await ApiClient.ReadJson(await factory.CreateClient().GetAsync("/health/ready"));

        Assert.Equal("CPU", body.GetProperty("execution_provider").GetString());
        Assert.False(body.TryGetProperty("provider_note", out _));
    }
}

/// <summary>Whether this machine can load ONNX Runtime's CUDA provider (the Api's own probe).</summary>
internal static class OnnxEmbedderProbe
{
    public static string? CudaError() => SanReid.Inference.OnnxEmbedder.ProbeCuda(0);
}
