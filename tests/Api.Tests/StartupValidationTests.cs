using Microsoft.Extensions.Options;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Inference;

namespace SanReid.Api.Tests;

/// <summary>Bad configuration stops start-up with a message naming the key, instead of failing requests later.</summary>
public class StartupValidationTests
{
    [Theory]
    [InlineData("SanReid:Model:ExecutionProvider", "gpu", "SanReid:Model:ExecutionProvider must be auto, cuda or cpu")]
    [InlineData("SanReid:Search:MaxK", "0", "SanReid:Search:MaxK must be between 1 and 100000; got 0")]
    [InlineData("SanReid:Search:MaxK", "abc", "SanReid:Search:MaxK must be an integer between 1 and 100000; got 'abc'")]
    [InlineData("SanReid:Search:DefaultK", "500", "SanReid:Search:DefaultK (500) must not exceed SanReid:Search:MaxK")]
    [InlineData("SanReid:Limits:MaxImagesPerRequest", "0", "SanReid:Limits:MaxImagesPerRequest")]
    [InlineData("SanReid:Gallery:IndexFactory", "Bogus", "SanReid:Gallery:IndexFactory must be")]
    [InlineData("SanReid:Auth:ApiKeys:0", "short", "SanReid:Auth:ApiKeys")]
    [InlineData("SanReid:Auth:ApiKeys:0", " padded-key-0123456789 ", "SanReid:Auth:ApiKeys")]
    [InlineData("SanReid:Auth:KeySha256:0", "not-hex", "SanReid:Auth:KeySha256")]
    [InlineData("SanReid:Auth:KeySha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "KeySha256:0")]
    [InlineData("SanReid:Auth:ApiKeys", "a-key-given-without-an-index", "ApiKeys:0")]
    [InlineData("SanReid:RateLimit:PermitsPerSecond", "0", "SanReid:RateLimit:PermitsPerSecond")]
    [InlineData("SanReid:RateLimit:Enabled", "yes", "SanReid:RateLimit:Enabled must be true or false; got 'yes'")]
    [InlineData("SanReid:Batching:MaxBatchSize", "0", "SanReid:Batching:MaxBatchSize")]
    [InlineData("SanReid:Batching:MaxWaitMilliseconds", "-1", "SanReid:Batching:MaxWaitMilliseconds must be between 0 and 1000; got -1")]
    [InlineData("SanReid:Limits:MaxPixels", "0", "SanReid:Limits:MaxPixels")]
    [InlineData("SanReid:Retention:Days", "-3", "SanReid:Retention:Days must be between 0 and 36500; got -3")]
    [InlineData("SanReid:Retention:Column", "updated_at", "SanReid:Retention:Column must be captured_at or created_at")]
    [InlineData("SanReid:Import:MaxRows", "1e3", "SanReid:Import:MaxRows must be an integer")]
    public void InvalidOptionFailsStartUp(string key, string value, string message)
    {
        // Every message names the setting by its full key (what an operator greps appsettings or the environment for).
        var e = Assert.IsType<OptionsValidationException>(StartUpFailure(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("SanReid__Retention__Days", "-3", "SanReid:Retention:Days must be between 0 and 36500; got -3.")]
    [InlineData("SanReid__Search__MaxK", "abc", "SanReid:Search:MaxK must be an integer between 1 and 100000; got 'abc'.")]
    public async Task BadSettingEndsTheProcessWithOneLineAndExitCode2(string variable, string value, string message)
    {
        // The real process (dotnet SanReid.Api.dll), as an operator starts it: the tester saw SIGABRT (exit 134) and an
        // "Unhandled exception" dump for these.
        (int exitCode, string stdout, string stderr) = await RunBuiltApi(new()
        {
            [variable] = value,
            ["SanReid__Model__Path"] = RepoPaths.DefaultModel,
        });

        string output = stdout + stderr;
        Assert.Equal(2, exitCode);
        Assert.Equal($"SanReid.Api: invalid setting: {message}", stderr.Trim());
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task AMissingModelFileEndsTheProcessWithOneLineNamingItAndExitCode1()
    {
        // The walkthrough saw an unhandled-exception abort (exit 134) when the model file was missing.
        string missing = Path.Combine(Path.GetTempPath(), $"sanreid-no-model-{Guid.NewGuid():N}.onnx");
        (int exitCode, string stdout, string stderr) = await RunBuiltApi(new() { ["SanReid__Model__Path"] = missing });

        string output = stdout + stderr;
        Assert.Equal(1, exitCode);
        Assert.Contains($"SanReid.Api: start-up failed: Model file not found: {missing}", stderr);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    /// <summary>Runs the built Api as an operator starts it (dotnet SanReid.Api.dll, a fresh gallery, a free port) with
    /// these environment variables until it exits (60 s at most).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunBuiltApi(Dictionary<string, string> environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(BuiltApi)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SanReid__Gallery__DatabasePath"] = Path.Combine(Path.GetTempPath(), $"sanreid-startup-{Guid.NewGuid():N}", "gallery.db");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(BuiltApi);
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    // tests/Api.Tests/bin/<Configuration>/<tfm>/ -> src/Api/bin/<Configuration>/<tfm>/SanReid.Api.dll (as DurabilityTests).
    private static string BuiltApi
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string dll = Path.Combine(RepoPaths.Root, "src", "Api", "bin", baseDir.Parent!.Name, baseDir.Name, "SanReid.Api.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"Built Api not found: {dll}", dll);
        }
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
